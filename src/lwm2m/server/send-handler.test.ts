import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../logger.js'
import { ContentFormat } from '../content-format.js'
import { loadDefaultModels } from '../models/registry.js'
import type { Registration } from './registration.js'
import { createInMemoryRegistrationStore } from './registration-store.js'
import { createSendHandler, type SendEvent } from './send-handler.js'

const peer = { address: '127.0.0.1', port: 40000 }
const models = loadDefaultModels()

function given() {
  const store = createInMemoryRegistrationStore()
  const reg: Registration = {
    id: 'r1',
    endpoint: 'dev1',
    identity: 'srv-dev1',
    peer,
    lwm2mVersion: '1.1',
    lifetime: 300,
    binding: 'U',
    rootPath: '/',
    objectLinks: [],
    registeredAt: 0,
    lastUpdate: 0,
    expiresAt: 1e15,
  }
  store.add(reg)
  const sent: SendEvent[] = []
  const handler = createSendHandler({ store, models, logger: silentLogger(), onSend: (e) => sent.push(e), now: () => 1_700_000_000_000 })
  const post = (json: string, o: { identity?: string; port?: number; format?: number; path?: string[]; method?: string } = {}) =>
    handler.handle(
      { method: o.method ?? 'POST', path: o.path ?? ['dp'], contentFormat: o.format ?? ContentFormat.SENML_JSON, payload: new TextEncoder().encode(json) },
      { peer: { ...peer, port: o.port ?? peer.port }, identity: 'identity' in o ? o.identity : 'srv-dev1' },
    )
  return { handler, sent, post }
}

describe('Send handler (POST /dp)', () => {
  it('flattens values as reads are, with absolute and relative times', () => {
    const { post, sent } = given()
    const res = post('[{"bn":"/3/0/","bt":1700000000,"n":"13","v":1700000001},{"n":"0","vs":"Acme","t":-5},{"bn":"/3303/0/","n":"5700","v":21.5}]')
    expect(res).toEqual({ code: '2.04' })
    expect(sent).toEqual([
      {
        endpoint: 'dev1',
        registrationId: 'r1',
        values: [
          { path: '/3/0/13', value: 1700000001, time: 1700000000 },
          { path: '/3/0/0', value: 'Acme', time: 1699999995 },
          { path: '/3303/0/5700', value: 21.5, time: 1700000000 },
        ],
      },
    ])
  })

  it('gives untimed values no time, and resolves relative times (RFC 8428 §4.5.3) against now', () => {
    const { post, sent } = given()
    expect(post('[{"n":"/3/0/9","v":80},{"n":"/3/0/9","v":79,"t":-10}]')).toEqual({ code: '2.04' })
    expect(sent[0].values).toEqual([
      { path: '/3/0/9', value: 80 },
      { path: '/3/0/9', value: 79, time: 1699999990 },
    ])
  })

  it('refuses with 4.03 a Send from a peer that is not registered, or over another identity', () => {
    const { post, sent } = given()
    expect(post('[{"n":"/3/0/9","v":80}]', { port: 40001 })).toEqual({ code: '4.03' })
    expect(post('[{"n":"/3/0/9","v":80}]', { identity: 'srv-dev2' })).toEqual({ code: '4.03' })
    expect(post('[{"n":"/3/0/9","v":80}]', { identity: undefined })).toEqual({ code: '4.03' })
    expect(sent).toEqual([])
  })

  it('answers 4.00 to a malformed pack, 4.15 to another format, 4.05 to another method, and ignores other paths', () => {
    const { post, sent } = given()
    expect(post('[{"n":"/3/0/9","v":')).toMatchObject({ code: '4.00' })
    expect(post('[{"n":"/3/0","v":1}]')).toMatchObject({ code: '4.00' })
    expect(post('[]')).toMatchObject({ code: '4.00' })
    expect(post('[{"n":"/3/0/9","v":80}]', { format: ContentFormat.TLV })).toEqual({ code: '4.15' })
    expect(post('', { method: 'GET' })).toEqual({ code: '4.05' })
    expect(post('', { path: ['rd'] })).toBeUndefined()
    expect(sent).toEqual([])
  })
})
