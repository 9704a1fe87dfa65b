/**
 * `serve bootstrap` on a real chain: devices provisioned with `lwchain deploy` + `client add`
 * bootstrap against the ChainView-backed store (and against `--store memory` seeded from one
 * sync); `client remove` closes the device's DTLS session and its next handshake fails.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { promisify } from 'node:util'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runClientMove } from '../../src/commands/client/move.js'
import { runClientRemove } from '../../src/commands/client/remove.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runServeBootstrap, type RunningBootstrap } from '../../src/commands/serve/bootstrap.js'
import { silentLogger } from '../../src/logger.js'
import { createCoapEndpoint } from '../../src/transport/coap/index.js'
import { createDtlsClientTransport } from '../../src/transport/dtls/client.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { eventually, startBootstrapClient, text } from './bootstrap-helpers.js'

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))

describe('bootstrap daemon on the chain', () => {
  let anvil: TestAnvil
  let dir: string
  let o: { configDir: string; rpc: string }
  const running: RunningBootstrap[] = []

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-bs-'))
    o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
  })

  afterAll(async () => {
    for (const r of running) await r.stop()
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const serve = async (store: 'chain' | 'memory') => {
    const r = await runServeBootstrap({ ...o, port: 0, store, lifetime: 600, pollIntervalMs: 100, logger: silentLogger() })
    running.push(r)
    return r
  }

  for (const store of ['chain', 'memory'] as const) {
    it(`bootstraps a device added with client add (--store ${store})`, async () => {
      const { result } = await runClientAdd(o, { endpoint: `bs-${store}`, serverUri: 'coaps://127.0.0.1:5684' })
      const r = await serve(store)
      if (store === 'chain') await eventually(() => r.view!.clientByEndpoint(`bs-${store}`) !== undefined)
      const device = await startBootstrapClient({ server: r.address, identity: result.bootstrap.identity, key: hex(result.bootstrap.key) })
      try {
        expect((await device.requestBootstrap(`bs-${store}`)).code).toBe('2.04')
        await device.finished
        const sec = device.values('/0/1')
        expect(sec.get(0)).toBe('coaps://127.0.0.1:5684')
        expect(text(sec.get(3))).toBe(result.server.identity)
        expect(Buffer.from(sec.get(5) as Uint8Array).toString('hex')).toBe(result.server.key)
        expect(device.values('/1/0').get(1)).toBe(600)
        // The daemon counts the session once the Finish answer reached it.
        await eventually(() => r.daemon.stats().finished === 1)
        expect(r.daemon.stats()).toMatchObject({ authorized: 1, finished: 1, failed: 0 })
      } finally {
        await device.stop()
      }
    })
  }

  it('provisions the new server URI after client move, without a restart', async () => {
    const { result } = await runClientAdd(o, { endpoint: 'bs-mover', serverUri: 'coaps://127.0.0.1:5684' })
    const r = running[0]
    const { version } = await runClientMove(o, { endpoint: 'bs-mover', serverUri: 'coaps://10.1.2.3:5684' })
    await eventually(() => r.view!.clientByEndpoint('bs-mover')?.version === version)
    const device = await startBootstrapClient({ server: r.address, identity: result.bootstrap.identity, key: hex(result.bootstrap.key) })
    try {
      expect((await device.requestBootstrap('bs-mover')).code).toBe('2.04')
      await device.finished
      expect(device.values('/0/1').get(0)).toBe('coaps://10.1.2.3:5684')
    } finally {
      await device.stop()
    }
  })

  it('refuses the bootstrap identity of another chain client with 4.03', async () => {
    await runClientAdd(o, { endpoint: 'bs-victim' })
    const b = await runClientAdd(o, { endpoint: 'bs-intruder' })
    const r = running[0]
    await eventually(() => r.view!.clientByEndpoint('bs-intruder') !== undefined && r.view!.clientByEndpoint('bs-victim') !== undefined)
    const device = await startBootstrapClient({ server: r.address, identity: b.result.bootstrap.identity, key: hex(b.result.bootstrap.key) })
    try {
      expect((await device.requestBootstrap('bs-victim')).code).toBe('4.03')
      expect(device.log).toEqual([])
    } finally {
      await device.stop()
    }
  })

  it.skipIf(!existsSync('/usr/bin/coap-client-openssl'))('answers coap-client-openssl with 2.04, and 4.03 for a mismatched identity', async () => {
    const { result } = await runClientAdd(o, { endpoint: 'bs-libcoap', printableKeys: true })
    const other = await runClientAdd(o, { endpoint: 'bs-libcoap-other', printableKeys: true })
    const r = running[0]
    await eventually(() => r.view!.clientByEndpoint('bs-libcoap-other') !== undefined)
    const post = async (identity: string, keyHex: string) => {
      const key = Buffer.from(keyHex, 'hex').toString('latin1')
      const uri = `coaps://127.0.0.1:${r.address.port}/bs?ep=bs-libcoap`
      const out = await promisify(execFile)('coap-client-openssl', ['-v', '6', '-u', identity, '-k', key, '-m', 'post', uri], { timeout: 20_000 })
      return /t:ACK c:(\d\.\d\d)/.exec(out.stdout + out.stderr)?.[1]
    }
    expect(await post(result.bootstrap.identity, result.bootstrap.key)).toBe('2.04')
    expect(await post(other.result.bootstrap.identity, other.result.bootstrap.key)).toBe('4.03')
  })

  it('closes the DTLS session of a removed client and refuses its next handshake', async () => {
    const { result } = await runClientAdd(o, { endpoint: 'bs-revoked' })
    const r = running[0]
    await eventually(() => r.view!.clientByEndpoint('bs-revoked') !== undefined)
    const transport = createDtlsClientTransport({ peer: r.address, identity: result.bootstrap.identity, key: hex(result.bootstrap.key), timeoutMs: 3_000 })
    let sessionEnded = false
    transport.onSessionEnd(() => (sessionEnded = true))
    const device = createCoapEndpoint({ transport, logger: silentLogger() })
    device.onRequest(() => new Promise(() => {})) // a device that is slow to answer: the session stays open
    await device.start()
    try {
      expect((await device.request(r.address, { method: 'POST', path: ['bs'], query: ['ep=bs-revoked'] })).code).toBe('2.04')
      await runClientRemove(o, 'bs-revoked')
      await eventually(() => sessionEnded)
      expect(r.daemon.stats().failed).toBeGreaterThanOrEqual(1)
      const retry = createCoapEndpoint({
        transport: createDtlsClientTransport({ peer: r.address, identity: result.bootstrap.identity, key: hex(result.bootstrap.key), timeoutMs: 3_000 }),
        logger: silentLogger(),
      })
      await expect(retry.start()).rejects.toMatchObject({ code: expect.stringMatching(/^LWC_DTLS_HANDSHAKE/) })
      await retry.stop()
    } finally {
      await device.stop()
    }
  })

  // Last: it stops the chain.
  it('keeps bootstrapping from the last synced view while the RPC is gone', async () => {
    const { result } = await runClientAdd(o, { endpoint: 'bs-outage' })
    const r = running[0]
    await eventually(() => r.view!.clientByEndpoint('bs-outage') !== undefined)
    await anvil.stop()
    const device = await startBootstrapClient({ server: r.address, identity: result.bootstrap.identity, key: hex(result.bootstrap.key) })
    try {
      expect((await device.requestBootstrap('bs-outage')).code).toBe('2.04')
      await device.finished
      expect(Buffer.from(device.values('/0/1').get(5) as Uint8Array).toString('hex')).toBe(result.server.key)
    } finally {
      await device.stop()
    }
  })
})
