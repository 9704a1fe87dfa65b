import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueToken } from '../../src/api/auth/tokens.js'
import { registerApi, type MountedApi } from '../../src/api/index.js'
import type { UserView } from '../../src/chain/view/types.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { silentLogger } from '../../src/logger.js'
import { createInMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { eventually } from '../e2e/system.js'

/** An admin in an in-memory user directory (the chain's is exercised by the other API tests). */
const ops: UserView = { username: 'ops', role: 1, roleName: 'admin', emailHash: '0x00', version: 1 }

describe('SSE streams: heartbeats and the bounded per-client buffer', () => {
  let daemon: ServerDaemon
  let mounted: MountedApi
  let port: number
  let token: string
  const sockets: Socket[] = []

  /** Opens GET /api/events on a raw socket; `read` false leaves it unread (a stuck client). */
  const rawStream = (query: string, read: boolean) => {
    const s = connect(port, '127.0.0.1')
    sockets.push(s)
    let text = ''
    let closed = false
    s.on('close', () => (closed = true))
    s.on('error', () => {})
    if (read) s.on('data', (d: Buffer) => (text += d.toString('utf8')))
    else s.pause()
    s.write(`GET /api/events${query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`)
    return { text: () => text, closed: () => closed }
  }

  beforeAll(async () => {
    const jwtKey = randomBytes(32)
    const security = createInMemorySecurityStore([])
    daemon = createServerDaemon({
      security,
      transport: createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0 }),
      logger: silentLogger(),
      config: { httpPort: 0 },
      extendHttp: async (app, d) => {
        mounted = await registerApi(app, {
          daemon: d,
          logger: silentLogger(),
          jwtKey,
          users: { byUsername: (u) => (u === 'ops' ? ops : undefined), byEmail: () => undefined },
          events: { heartbeatMs: 50, bufferSize: 4 },
        })
      },
    })
    const started = await daemon.start()
    port = Number(new URL(started.http!.url).port)
    token = (await issueToken(jwtKey, { username: 'ops', role: 'admin', version: 1 }, { ttlSeconds: 300, now: Date.now() })).token
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await daemon.stop()
  })

  it('sends heartbeat comments on an idle stream', async () => {
    const s = rawStream('', true)
    await eventually(() => s.text().includes(': heartbeat'))
    expect(s.text()).toMatch(/^HTTP\/1\.1 200/)
    expect(s.text()).toContain('content-type: text/event-stream')
    sockets.pop()!.destroy()
    await eventually(() => mounted.streams.clients() === 0)
  })

  it('disconnects a client that does not read once its buffer is full, and only that one', async () => {
    const stuck = rawStream('?endpoint=flood', false)
    const other = rawStream('?endpoint=quiet', true)
    await eventually(() => mounted.streams.clients() === 2)
    const before = mounted.streams.dropped()
    const big = 'x'.repeat(64 * 1024)
    for (let i = 0; i < 12; i++) {
      daemon.events.emit('notification', { endpoint: 'flood', path: '/3/0/0', response: { code: 'CONTENT', coapCode: '2.05', success: true, errorMessage: big } })
    }
    expect(mounted.streams.dropped()).toBe(before + 1)
    // The stuck client was cut off (it does not read, so it cannot see it); the other stream lives on.
    expect(mounted.streams.clients()).toBe(1)
    const beats = other.text().split(': heartbeat').length
    await eventually(() => other.text().split(': heartbeat').length > beats)
    expect(other.closed()).toBe(false)
  })
})
