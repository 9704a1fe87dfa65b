import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueToken } from '../../src/api/auth/tokens.js'
import { registerApi, type MountedApi } from '../../src/api/index.js'
import type { UserView } from '../../src/chain/view/types.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { silentLogger } from '../../src/logger.js'
import { createInMemorySecurityStore } from '../../src/lwm2m/security-store.js'

const ops: UserView = { username: 'ops', role: 1, roleName: 'admin', emailHash: '0x00', version: 1 }

interface Seen {
  id?: string
  event?: string
  data?: Record<string, unknown>
}

describe('SSE replay: monotonic ids, Last-Event-ID resumes from a bounded buffer', () => {
  let daemon: ServerDaemon
  let mounted: MountedApi
  let base: string
  let token: string

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
          events: { replaySize: 5 },
        })
      },
    })
    base = (await daemon.start()).http!.url
    token = (await issueToken(jwtKey, { username: 'ops', role: 'admin', version: 1 }, { ttlSeconds: 300, now: Date.now() })).token
  })
  afterAll(async () => {
    await daemon.stop()
  })

  /** A notification event as the daemon emits it (no decoded node: values are {}). */
  const notify = (endpoint: string, n: number) =>
    daemon.events.emit('notification', { endpoint, path: `/3303/0/${n}`, response: { coapCode: '2.05', success: true } } as never)

  /** Opens the stream; `events` fills as they arrive; close() drops the connection. */
  async function open(o: { lastEventId?: string; query?: string } = {}) {
    const ctl = new AbortController()
    const res = await fetch(`${base}/api/events${o.query ?? ''}`, {
      headers: { authorization: `Bearer ${token}`, ...(o.lastEventId !== undefined && { 'last-event-id': o.lastEventId }) },
      signal: ctl.signal,
    })
    expect(res.status).toBe(200)
    const events: Seen[] = []
    const waiters: Array<() => void> = []
    let connected = false
    void (async () => {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buf += value
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          if (block.includes(': connected')) connected = true
          const e: Seen = {}
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) e.id = line.slice(4)
            else if (line.startsWith('event: ')) e.event = line.slice(7)
            else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6)) as Record<string, unknown>
          }
          if (e.event) events.push(e)
          for (const w of waiters.splice(0)) w()
        }
      }
    })().catch(() => {})
    const until = async (check: () => boolean): Promise<void> => {
      while (!check()) await new Promise<void>((r) => waiters.push(r))
    }
    await until(() => connected)
    return { events, until, close: () => ctl.abort() }
  }

  it('a client that drops and comes back with Last-Event-ID gets exactly the events it missed, in order', async () => {
    const first = await open()
    notify('a', 1)
    notify('a', 2)
    await first.until(() => first.events.length === 2)
    const ids = first.events.map((e) => Number(e.id))
    expect(ids[1]).toBeGreaterThan(ids[0]!)
    first.close()
    await new Promise<void>((r) => setImmediate(r))
    notify('a', 3)
    notify('b', 4)

    const again = await open({ lastEventId: first.events[1]!.id! })
    await again.until(() => again.events.length === 2)
    expect(again.events.map((e) => e.data!.path)).toEqual(['/3303/0/3', '/3303/0/4'])
    expect(again.events.map((e) => Number(e.id))).toEqual([ids[1]! + 1, ids[1]! + 2])
    // Live events follow the replayed ones.
    notify('a', 5)
    await again.until(() => again.events.length === 3)
    expect(again.events[2]!.data!.path).toBe('/3303/0/5')
    again.close()
    expect(mounted.streams.replays().resumed).toBeGreaterThanOrEqual(1)
  })

  it('replays only what the ?endpoint= filter lets through', async () => {
    const s = await open({ query: '?endpoint=b' })
    notify('b', 10)
    await s.until(() => s.events.length === 1)
    s.close()
    notify('a', 11)
    notify('b', 12)
    const again = await open({ query: '?endpoint=b', lastEventId: s.events[0]!.id! })
    await again.until(() => again.events.length === 1)
    expect(again.events[0]!.data).toMatchObject({ endpoint: 'b', path: '/3303/0/12' })
    again.close()
  })

  it('says reset when the missed events are no longer all buffered, or the id is not from this run', async () => {
    const s = await open()
    notify('a', 20)
    await s.until(() => s.events.length === 1)
    s.close()
    for (let i = 0; i < 6; i++) notify('a', 21 + i)
    const late = await open({ lastEventId: s.events[0]!.id! })
    await late.until(() => late.events.length === 1)
    expect(late.events[0]!.event).toBe('reset')
    late.close()
    for (const bogus of ['7', 'not-a-number', '99999999999999999']) {
      const b = await open({ lastEventId: bogus })
      await b.until(() => b.events.length === 1)
      expect(b.events[0]!.event).toBe('reset')
      b.close()
    }
  })
})
