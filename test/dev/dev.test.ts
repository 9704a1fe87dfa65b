import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, eventually, start, type Running } from '../helpers/binary.js'

interface Ready {
  api: string
  rpc: string
  bootstrap: string
  server: string
  admin: { username: string; password: string }
}

async function registrations(api: string): Promise<number> {
  const res = await fetch(`${api}/health`)
  return ((await res.json()) as { registrations: number }).registrations
}

/** The endpoints the REST API lists for the admin (registered first, then provisioned ones). */
async function listedByApi(ready: Ready): Promise<{ endpoint: string; status: string }[]> {
  const login = await fetch(`${ready.api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ready.admin) })
  expect(login.status).toBe(200)
  const { token } = (await login.json()) as { token: string }
  const res = await fetch(`${ready.api}/clients`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: { endpoint: string; status: string }[] }).items.map((c) => ({ endpoint: c.endpoint, status: c.status }))
}

const BOTH_REGISTERED = [
  { endpoint: 'demo-1', status: 'registered' },
  { endpoint: 'demo-2', status: 'registered' },
]

describe('lwchain dev', () => {
  let dir: string
  let dev: Running | undefined

  beforeAll(async () => {
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-dev-'))
  }, 180_000)

  afterAll(async () => {
    await dev?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints the ready line, runs the demo devices, stops on SIGTERM and resumes on the same chain', async () => {
    const dataDir = join(dir, 'data')
    dev = start(['dev', '--demo', '2', '--json', '--data-dir', dataDir, '--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0'])
    const ready = JSON.parse(await dev.line()) as Ready
    expect(Object.keys(ready)).toEqual(['api', 'rpc', 'bootstrap', 'server', 'admin'])
    expect(ready.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/)
    expect(ready.rpc).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(ready.bootstrap).toMatch(/^coaps:\/\/127\.0\.0\.1:\d+$/)
    expect(ready.server).toMatch(/^coaps:\/\/127\.0\.0\.1:\d+$/)
    expect(ready.admin.username).toBe('admin')
    expect(ready.admin.password.length).toBeGreaterThanOrEqual(16)

    // Both demo devices bootstrap over DTLS and register with the server.
    await eventually(async () => ((await registrations(ready.api)) === 2 ? true : undefined))
    // The admin login of the ready line works against the REST API, which lists both devices.
    expect(await listedByApi(ready)).toEqual(BOTH_REGISTERED)
    // The web console is served on the API's port.
    expect((await fetch(ready.api.replace(/\/api$/, '/'))).headers.get('content-type')).toMatch(/text\/html/)

    // A second dev on the same data dir would share the chain state file: refused.
    const twin = start(['dev', '--json', '--data-dir', dataDir, '--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0'])
    expect(await twin.exited).toBe(1)
    expect(twin.lines).toEqual([])
    expect(twin.stderr()).toMatch(/^error: lwchain dev already runs on .* \(pid \d+\)/)

    const adminFile = join(dataDir, 'config', 'admin.json')
    expect(statSync(adminFile).mode & 0o777).toBe(0o600)
    const profile = JSON.parse(readFileSync(join(dataDir, 'config', 'profile.json'), 'utf8')) as { deployment: { contracts: { clientStore: string } } }
    expect(await dev.stop()).toBe(0)
    // stdout held the ready line only; logs went to stderr, without the admin password.
    expect(dev.lines).toHaveLength(1)
    expect(dev.stderr()).toContain('"deployed":true')
    expect(dev.stderr()).not.toContain(ready.admin.password)

    // Second start: same chain (ports of the last run), no redeploy, same admin, same devices.
    dev = start(['dev', '--demo', '2', '--json', '--data-dir', dataDir, '--http-port', '0'])
    const again = JSON.parse(await dev.line()) as Ready
    expect(again.rpc).toBe(ready.rpc)
    expect(again.server).toBe(ready.server)
    expect(again.admin).toEqual(ready.admin)
    await eventually(async () => ((await registrations(again.api)) === 2 ? true : undefined))
    const log = dev.stderr()
    expect(log).toContain('"deployed":false')
    expect(log).toContain('"adminCreated":false')
    expect(log).toContain('"provisioned":0')
    const profileAgain = JSON.parse(readFileSync(join(dataDir, 'config', 'profile.json'), 'utf8')) as typeof profile
    expect(profileAgain.deployment.contracts.clientStore).toBe(profile.deployment.contracts.clientStore)
    expect(await listedByApi(again)).toEqual(BOTH_REGISTERED)
    expect(await dev.stop()).toBe(0)

    // Third start on another server port (as when a default port is taken): the demo records are
    // moved to it on chain, and the devices bootstrap to the new server.
    dev = start(['dev', '--demo', '2', '--json', '--data-dir', dataDir, '--http-port', '0', '--server-port', '0'])
    const moved = JSON.parse(await dev.line()) as Ready
    expect(moved.server).not.toBe(ready.server)
    await eventually(async () => ((await registrations(moved.api)) === 2 ? true : undefined))
    expect(dev.stderr()).toContain('moved to this run')
    expect(await dev.stop()).toBe(0)
    dev = undefined
  }, 120_000)

  it('refuses a bad --demo with a usage error', async () => {
    const bad = start(['dev', '--demo', 'lots', '--json', '--data-dir', join(dir, 'bad')])
    expect(await bad.exited).toBe(2)
    expect(bad.lines).toEqual([])
    expect(bad.stderr()).toMatch(/^error: --demo must be a positive integer/)
  })
})
