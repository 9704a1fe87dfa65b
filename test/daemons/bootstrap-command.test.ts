/** runServeBootstrap's option checks and the `--clients` seed file, without a chain. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runServeBootstrap } from '../../src/commands/serve/bootstrap.js'
import { readClientsFile } from '../../src/commands/serve/securityStore.js'
import { silentLogger } from '../../src/logger.js'
import { startBootstrapClient } from './bootstrap-helpers.js'

const hex = (s: string) => Buffer.from(s).toString('hex')
const record = (endpoint: string, extra: Record<string, unknown> = {}) => ({
  endpoint,
  bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: `bs-${endpoint}`, key: hex(`bs-key-${endpoint}`) },
  server: { uri: 'coaps://127.0.0.1:5684', identity: `srv-${endpoint}`, key: hex(`srv-key-${endpoint}`) },
  ...extra,
})

describe('serve bootstrap options', () => {
  let dir: string
  const file = (name: string, content: unknown) => {
    const p = join(dir, name)
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
    return p
  }
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-bs-cmd-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each([
    [{ store: 'redis' }, /--store must be chain or memory/],
    [{ store: 'chain', clients: 'x.json' }, /--clients needs --store memory/],
    [{ store: 'memory', clients: 'x.json', port: '70000' }, /invalid port/],
    [{ store: 'memory', clients: 'x.json', lifetime: '0' }, /--lifetime must be a positive integer/],
    [{ store: 'memory', clients: 'x.json', sessionTimeout: 'soon' }, /--session-timeout/],
    [{ store: 'memory', clients: 'x.json', dtlsMaxSessions: '0' }, /--dtls-max-sessions must be a positive integer/],
    [{ store: 'memory', clients: 'x.json', dtlsSessionIdle: '1.5' }, /--dtls-session-idle must be a positive integer/],
    [{ store: 'memory', clients: 'x.json', binding: 'XQ' }, /--binding must be an LwM2M binding such as U or UQ, not "XQ"/],
  ])('refuses %o as a usage error', async (opts, message) => {
    await expect(runServeBootstrap({ ...opts, configDir: join(dir, 'none'), logger: silentLogger() })).rejects.toMatchObject({
      code: 'LWC_USAGE',
      shortMessage: expect.stringMatching(message),
    })
  })

  it('reads the records `client add --json` prints, keys as hex', () => {
    const [c] = readClientsFile(file('ok.json', [record('dev-1')]))
    expect(c.endpoint).toBe('dev-1')
    expect(new TextDecoder().decode(c.server.key)).toBe('srv-key-dev-1')
    expect(c.bootstrap.identity).toBe('bs-dev-1')
  })

  it('refuses a seed record without keys rather than generating some', () => {
    const noKey = record('dev-2')
    delete (noKey.server as { key?: string }).key
    expect(() => readClientsFile(file('nokey.json', [noKey]))).toThrow(/record 1 \(dev-2\) lacks serverKey/)
    expect(() => readClientsFile(file('notarray.json', { endpoint: 'x' }))).toThrow(/JSON array/)
    expect(() => readClientsFile(file('badhex.json', [record('dev-3', { bootstrap: { uri: 'coaps://h', identity: 'i', key: 'zz' } })]))).toThrow(/record 1/)
  })

  it('serves the seeded clients with --store memory --clients', async () => {
    const running = await runServeBootstrap({ store: 'memory', clients: file('seed.json', [record('dev-9')]), port: 0, logger: silentLogger() })
    try {
      expect(running.url).toMatch(/^coaps:\/\/127\.0\.0\.1:\d+$/)
      const device = await startBootstrapClient({ server: running.address, identity: 'bs-dev-9', key: new TextEncoder().encode('bs-key-dev-9') })
      try {
        expect((await device.requestBootstrap('dev-9')).code).toBe('2.04')
        await device.finished
      } finally {
        await device.stop()
      }
    } finally {
      await running.stop()
    }
  })

  it('writes the --binding into the Server instance (/1/0/7): UQ for queue mode, U by default', async () => {
    const seed = file('binding.json', [record('dev-q')])
    for (const [binding, written] of [['UQ', 'UQ'], [undefined, 'U']] as const) {
      const running = await runServeBootstrap({ store: 'memory', clients: seed, port: 0, logger: silentLogger(), ...(binding && { binding }) })
      try {
        const device = await startBootstrapClient({ server: running.address, identity: 'bs-dev-q', key: new TextEncoder().encode('bs-key-dev-q') })
        try {
          expect((await device.requestBootstrap('dev-q')).code).toBe('2.04')
          await device.finished
          expect(device.values('/1/0').get(7)).toBe(written)
        } finally {
          await device.stop()
        }
      } finally {
        await running.stop()
      }
    }
  })

  it('hands the --dtls-* limits to the DTLS server: with --dtls-max-sessions 1 a second device is refused', async () => {
    const seed = file('two.json', [record('dev-a'), record('dev-b')])
    const bootstrapBoth = async (running: Awaited<ReturnType<typeof runServeBootstrap>>) => {
      const outcomes: string[] = []
      const devices = []
      for (const ep of ['dev-a', 'dev-b']) {
        try {
          const device = await startBootstrapClient({ server: running.address, identity: `bs-${ep}`, key: new TextEncoder().encode(`bs-key-${ep}`) })
          devices.push(device)
          outcomes.push((await device.requestBootstrap(ep)).code)
        } catch (err) {
          outcomes.push(`refused: ${(err as Error).message.split('\n')[0]}`)
        }
      }
      await Promise.all(devices.map((d) => d.stop()))
      return outcomes
    }
    const unlimited = await runServeBootstrap({ store: 'memory', clients: seed, port: 0, logger: silentLogger() })
    try {
      expect(await bootstrapBoth(unlimited)).toEqual(['2.04', '2.04'])
    } finally {
      await unlimited.stop()
    }
    const limited = await runServeBootstrap({ store: 'memory', clients: seed, port: 0, logger: silentLogger(), dtlsMaxSessions: '1' })
    try {
      const [first, second] = await bootstrapBoth(limited)
      expect(first).toBe('2.04')
      expect(second).toMatch(/^refused: /)
    } finally {
      await limited.stop()
    }
  })
})
