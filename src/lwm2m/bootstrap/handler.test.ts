/**
 * The bootstrap handler in lock-step with a scripted device (the sender answers as a device
 * would, or holds its answer): authorisation, session replacement, timeouts, outcomes.
 */
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../logger.js'
import type { LwM2mRequest, LwM2mResponse } from '../request/types.js'
import { createInMemorySecurityStore } from '../security-store.js'
import { resolveBootstrapConfig, type BootstrapConfig } from './config.js'
import { createBootstrapHandler, type BootstrapOutcome } from './handler.js'
import { decodeSenmlCborEntries } from '../codec/senml-cbor.js'
import { formatPath } from '../path.js'
import type { BootstrapSender } from './session.js'

const enc = (s: string) => new TextEncoder().encode(s)
const PEER = { address: '127.0.0.1', port: 40000 }

const ANSWERS: Record<string, LwM2mResponse> = {
  bootstrapDelete: { code: 'DELETED', coapCode: '2.02', success: true },
  bootstrapDiscover: { code: 'CONTENT', coapCode: '2.05', success: true, links: [{ target: '/0/0', attributes: {} }] },
  bootstrapWrite: { code: 'CHANGED', coapCode: '2.04', success: true },
  bootstrapFinish: { code: 'CHANGED', coapCode: '2.04', success: true },
}

/** A device that answers every request like a well-behaved client, unless `hold` says to wait. */
function scriptedDevice(opts: { hold?: (r: LwM2mRequest) => boolean; answer?: (r: LwM2mRequest) => LwM2mResponse | undefined } = {}) {
  const sent: LwM2mRequest[] = []
  const sender: BootstrapSender = {
    send(_target, request) {
      sent.push(request)
      if (opts.hold?.(request)) return new Promise(() => {})
      return Promise.resolve(opts.answer?.(request) ?? ANSWERS[request.kind])
    },
  }
  return { sender, sent }
}

function setup(device = scriptedDevice(), config: Partial<BootstrapConfig> = {}) {
  const security = createInMemorySecurityStore()
  security.put({
    endpoint: 'ep1',
    bootstrap: { uri: 'coaps://bs', identity: 'bs-1', key: enc('k1') },
    server: { uri: 'coaps://srv:5684', identity: 'srv-1', key: enc('sk1') },
  })
  security.put({ endpoint: 'sealed', bootstrap: { uri: 'coaps://bs', identity: 'bs-2', key: enc('k2') }, server: { uri: 'coaps://srv', identity: 'srv-2' } })
  const handler = createBootstrapHandler({ security, sender: device.sender, logger: silentLogger(), config: resolveBootstrapConfig(config) })
  const outcomes: BootstrapOutcome[] = []
  handler.onOutcome((o) => outcomes.push(o))
  const next = () => new Promise<BootstrapOutcome>((resolve) => handler.onOutcome(resolve))
  return { handler, outcomes, next, security, ...device }
}

const bs = (query: string[], identity?: string) => [{ method: 'POST', path: ['bs'], query }, { peer: PEER, identity }] as const

describe('bootstrap handler', () => {
  it('answers 2.04, then deletes, discovers, writes and finishes', async () => {
    const t = setup()
    const done = t.next()
    expect(t.handler.handle(...bs(['ep=ep1'], 'bs-1'))).toEqual({ code: '2.04' })
    const outcome = await done
    expect(outcome).toMatchObject({ result: 'finished', session: { securityInstanceId: 1, serverInstanceId: 0, format: 11542 } })
    expect(t.sent.map((r) => r.kind)).toEqual(['bootstrapDelete', 'bootstrapDelete', 'bootstrapDiscover', 'bootstrapWrite', 'bootstrapWrite', 'bootstrapFinish'])
    expect(t.handler.stats()).toEqual({ authorized: 1, unauthorized: 0, finished: 1, failed: 0, badRequests: 0, packsServed: 0, active: 0 })
  })

  it('uses a fixed security instance id without discovering when configured', async () => {
    const t = setup(scriptedDevice(), { securityInstanceId: 5, discoverAfterWrite: true })
    const done = t.next()
    t.handler.handle(...bs(['ep=ep1', 'pct=110'], 'bs-1'))
    expect(await done).toMatchObject({ result: 'finished', session: { securityInstanceId: 5, format: 110 } })
    expect(t.sent.map((r) => ('path' in r ? `${r.kind} ${JSON.stringify(r.path)}` : r.kind))).toEqual([
      'bootstrapDelete {"objectId":0}',
      'bootstrapDelete {"objectId":1}',
      'bootstrapWrite {"objectId":0,"instanceId":5}',
      'bootstrapWrite {"objectId":1,"instanceId":0}',
      'bootstrapDiscover {}',
      'bootstrapFinish',
    ])
  })

  it('refuses with 4.03 a missing identity, an unknown endpoint and an identity of another endpoint', () => {
    const t = setup()
    expect(t.handler.handle(...bs(['ep=ep1']))).toEqual({ code: '4.03' })
    expect(t.handler.handle(...bs(['ep=nobody'], 'bs-1'))).toEqual({ code: '4.03' })
    expect(t.handler.handle(...bs(['ep=ep1'], 'bs-2'))).toEqual({ code: '4.03' })
    expect(t.handler.stats().unauthorized).toBe(3)
    expect(t.sent).toEqual([])
  })

  it('accepts a request without identity in plain-UDP development mode', async () => {
    const t = setup(scriptedDevice(), { requireIdentity: false })
    const done = t.next()
    expect(t.handler.handle(...bs(['ep=ep1']))).toEqual({ code: '2.04' })
    expect((await done).result).toBe('finished')
    // An identity, when there is one, is still checked.
    expect(t.handler.handle(...bs(['ep=ep1'], 'bs-2'))).toEqual({ code: '4.03' })
  })

  it('answers 4.00 to bad queries, 4.04 to other paths, 4.05 to other methods', () => {
    const t = setup()
    expect(t.handler.handle(...bs([], 'bs-1')).code).toBe('4.00')
    expect(t.handler.handle(...bs(['ep='], 'bs-1')).code).toBe('4.00')
    expect(t.handler.handle(...bs(['ep=ep1', 'pct=abc'], 'bs-1')).code).toBe('4.00')
    expect(t.handler.handle(...bs(['ep=ep1', 'pct=40'], 'bs-1')).code).toBe('4.00')
    expect(t.handler.handle({ method: 'GET', path: ['bspack'], query: [] }, { peer: PEER, identity: 'bs-1' }).code).toBe('4.00')
    expect(t.handler.handle({ method: 'GET', path: ['rd'], query: [] }, { peer: PEER }).code).toBe('4.04')
    expect(t.handler.handle({ method: 'PUT', path: ['bs'], query: ['ep=ep1'] }, { peer: PEER, identity: 'bs-1' }).code).toBe('4.05')
    expect(t.handler.stats().badRequests).toBe(7)
    expect(t.sent).toEqual([])
  })

  it('answers 5.03 when the record carries no server key to provision', () => {
    const t = setup()
    expect(t.handler.handle(...bs(['ep=sealed'], 'bs-2'))).toEqual({ code: '5.03' })
    expect(t.handler.stats()).toMatchObject({ authorized: 0, failed: 1 })
  })

  it('fails a session whose device refuses a step, naming the step', async () => {
    const t = setup(scriptedDevice({ answer: (r) => (r.kind === 'bootstrapWrite' ? { code: 'BAD_REQUEST', coapCode: '4.00', success: false } : undefined) }))
    const done = t.next()
    t.handler.handle(...bs(['ep=ep1'], 'bs-1'))
    expect(await done).toMatchObject({ result: 'failed', reason: 'rejected', step: 'write /0/1' })
    expect(t.sent.at(-1)!.kind).toBe('bootstrapWrite')
  })

  it('falls back to instance 1 when the device cannot Bootstrap-Discover', async () => {
    const t = setup(scriptedDevice({ answer: (r) => (r.kind === 'bootstrapDiscover' ? { code: 'NOT_FOUND', coapCode: '4.04', success: false } : undefined) }))
    const done = t.next()
    t.handler.handle(...bs(['ep=ep1'], 'bs-1'))
    expect(await done).toMatchObject({ result: 'finished', session: { securityInstanceId: 1 } })
  })

  it('replaces a running session when the same endpoint asks again', async () => {
    let first = true
    const t = setup(scriptedDevice({ hold: (r) => r.kind === 'bootstrapDelete' && first && !(first = false) }))
    const replaced = t.next()
    t.handler.handle(...bs(['ep=ep1'], 'bs-1'))
    await new Promise((r) => setImmediate(r))
    expect(t.handler.activeEndpoints()).toEqual(['ep1'])
    t.handler.handle(...bs(['ep=ep1'], 'bs-1'))
    expect(await replaced).toMatchObject({ result: 'failed', reason: 'replaced' })
    await new Promise((r) => setTimeout(r, 10))
    expect(t.outcomes.map((o) => o.result)).toEqual(['failed', 'finished'])
    expect(t.handler.stats()).toMatchObject({ authorized: 2, finished: 1, failed: 1, active: 0 })
  })

  it('times a silent session out, and aborts one on revocation and on close', async () => {
    const t = setup(scriptedDevice({ hold: () => true }), { sessionTimeoutMs: 30 })
    const timedOut = t.next()
    t.handler.handle(...bs(['ep=ep1'], 'bs-1'))
    expect(await timedOut).toMatchObject({ result: 'failed', reason: 'timeout', endpoint: 'ep1' })

    const t2 = setup(scriptedDevice({ hold: () => true }))
    t2.handler.handle(...bs(['ep=ep1'], 'bs-1'))
    expect(t2.handler.abort('ep1', 'revoked')).toBe(true)
    expect(t2.outcomes).toMatchObject([{ result: 'failed', reason: 'revoked' }])
    expect(t2.handler.abort('ep1', 'revoked')).toBe(false)
    t2.handler.handle(...bs(['ep=ep1'], 'bs-1'))
    t2.handler.close()
    expect(t2.outcomes.at(-1)).toMatchObject({ result: 'failed', reason: 'shutdown' })
    expect(t2.handler.handle(...bs(['ep=ep1'], 'bs-1')).code).toBe('5.03')
  })

  it('serves a Bootstrap-Pack of /0 and /1 in SenML CBOR (default) or JSON, after the identity check', () => {
    const t = setup()
    const get = (query: string[], identity: string | undefined, accept?: number) =>
      t.handler.handle({ method: 'GET', path: ['bspack'], query, ...(accept !== undefined && { accept }) }, { peer: PEER, ...(identity !== undefined && { identity }) })
    const cbor = get(['ep=ep1'], 'bs-1')
    expect(cbor).toMatchObject({ code: '2.05', contentFormat: 112 })
    const names = decodeSenmlCborEntries(cbor.payload as Uint8Array).map((e) => formatPath(e.path))
    expect(names).toEqual(expect.arrayContaining(['/0/1/0', '/0/1/3', '/0/1/5', '/1/0/0', '/1/0/1']))
    const json = get(['ep=ep1'], 'bs-1', 110)
    expect(json).toMatchObject({ code: '2.05', contentFormat: 110 })
    expect(new TextDecoder().decode(json.payload as Uint8Array)).toContain('"bn":"/0/1/"')
    expect(get(['ep=ep1'], 'bs-1', 11542).code).toBe('4.06')
    expect(get(['ep=ep1'], 'bs-2').code).toBe('4.03')
    expect(get(['ep=nobody'], 'bs-1').code).toBe('4.03')
    expect(t.handler.handle({ method: 'POST', path: ['bspack'], query: ['ep=ep1'] }, { peer: PEER, identity: 'bs-1' }).code).toBe('4.05')
    expect(t.handler.stats()).toMatchObject({ packsServed: 2, unauthorized: 2, authorized: 0 })
    expect(t.sent).toEqual([])
  })
})
