import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, eventually, run, start, type Running } from '../helpers/binary.js'

interface Ready {
  api: string
  bootstrap: string
  server: string
}

async function registrations(api: string): Promise<number> {
  const res = await fetch(`${api}/health`)
  return ((await res.json()) as { registrations: number }).registrations
}

describe('lwchain simulate', () => {
  let dir: string
  let dev: Running | undefined
  let ready: Ready
  let cfg: string[]

  beforeAll(async () => {
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-sim-'))
    dev = start(['dev', '--json', '--data-dir', join(dir, 'data'), '--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0'])
    ready = JSON.parse(await dev.line()) as Ready
    cfg = ['--config-dir', join(dir, 'data', 'config')]
  }, 180_000)

  afterAll(async () => {
    await dev?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('provisions devices on the fly, registers them, and de-registers them all on SIGTERM', async () => {
    const sim = start(['simulate', '--count', '3', '--prefix', 'p-', '--format', 'senml-cbor', '--bootstrap-uri', ready.bootstrap, '--server-uri', ready.server, '--json', ...cfg])
    const registered = new Set<string>()
    while (registered.size < 3) {
      const line = await sim.line((l) => {
        const e = JSON.parse(l) as { endpoint: string; state: string }
        return e.state === 'registered' && !registered.has(e.endpoint)
      })
      registered.add((JSON.parse(line) as { endpoint: string }).endpoint)
    }
    expect([...registered].every((e) => /^p-[0-9a-f]{6}-[123]$/.test(e))).toBe(true)
    const listed = await run(['client', 'list', '--json', ...cfg])
    expect((JSON.parse(listed.stdout) as { endpoint: string }[]).map((c) => c.endpoint).sort()).toEqual([...registered].sort())
    await eventually(async () => ((await registrations(`${ready.api}`)) === 3 ? true : undefined))

    expect(await sim.stop()).toBe(0)
    expect(sim.lines.filter((l) => (JSON.parse(l) as { state: string }).state === 'stopped')).toHaveLength(3)
    await eventually(async () => ((await registrations(`${ready.api}`)) === 0 ? true : undefined))
  }, 120_000)

  it('runs the devices of a `client add --json` file, and refuses a file without credentials', async () => {
    const lines: string[] = []
    for (const e of ['f-1', 'f-2']) {
      const add = await run(['client', 'add', e, '--bootstrap-uri', ready.bootstrap, '--server-uri', ready.server, '--json', ...cfg])
      expect(add.code, add.stderr).toBe(0)
      lines.push(add.stdout.trim())
    }
    const file = join(dir, 'devices.jsonl')
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 })
    const sim = start(['simulate', '--from', file, '--count', '1', '--lwm2m', '1.0', '--json', ...cfg])
    const line = await sim.line((l) => (JSON.parse(l) as { state: string }).state === 'registered')
    expect(JSON.parse(line)).toMatchObject({ endpoint: 'f-1', state: 'registered' })
    expect(await sim.stop()).toBe(0)
    expect(sim.lines.some((l) => l.includes('"f-2"'))).toBe(false)

    const empty = join(dir, 'empty.json')
    writeFileSync(empty, '[{"endpoint":"x"}]')
    const bad = await run(['simulate', '--from', empty, ...cfg])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^error: .*no bootstrap credentials/)
  }, 120_000)
})
