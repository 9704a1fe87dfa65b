/**
 * The paper's Fig. 5 flow through the built binary, as an operator and two applications would run
 * it: admin provisions a device with the CLI -> the device bootstraps -> registers -> an
 * application logs in, lists devices and reads the temperature -> posts an anomaly -> a user
 * lists it, and `anomaly verify` says VALID.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, eventually, run, start, type Running } from '../helpers/binary.js'

interface Ready {
  api: string
  rpc: string
  bootstrap: string
  server: string
  admin: { username: string; password: string }
}

async function login(api: string, username: string, password: string): Promise<string | undefined> {
  const res = await fetch(`${api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
  // 401 until the server's chain view has seen the new account.
  if (res.status === 401) return undefined
  expect(res.status).toBe(200)
  return ((await res.json()) as { token: string }).token
}

async function getJson<T>(url: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: (await res.json()) as T }
}

describe('Fig. 5: provision, bootstrap, register, read, report, verify', () => {
  let dir: string
  let dev: Running | undefined
  let sim: Running | undefined

  beforeAll(async () => {
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-fig5-'))
  }, 180_000)

  afterAll(async () => {
    await sim?.stop()
    await dev?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs the whole workflow with the CLI, a simulated device and the REST API', async () => {
    dev = start(['dev', '--json', '--data-dir', join(dir, 'data'), '--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0'])
    const ready = JSON.parse(await dev.line()) as Ready
    const cfg = ['--config-dir', join(dir, 'data', 'config')]

    // 1. The admin registers the device on chain (keys generated, printed once).
    const add = await run(['client', 'add', 'fig5-sensor', '--bootstrap-uri', ready.bootstrap, '--server-uri', ready.server, '--printable-keys', '--json', ...cfg])
    expect(add.code, add.stderr).toBe(0)
    const credentials = join(dir, 'fig5-sensor.json')
    writeFileSync(credentials, add.stdout, { mode: 0o600 })

    // 2-3. The device bootstraps with its bootstrap PSK, then registers over DTLS-PSK.
    sim = start(['simulate', '--from', credentials, '--json', '--drift-ms', '0', ...cfg])
    const states = (l: string) => (JSON.parse(l) as { endpoint: string; state: string }).state
    await sim.line((l) => states(l) === 'bootstrapped')
    await sim.line((l) => states(l) === 'registered')

    // Accounts: an application (reads devices, posts anomalies) and a user (lists anomalies).
    for (const [name, role] of [['fig5-app', 'application'], ['fig5-user', 'user']]) {
      const r = await run(['user', 'add', name, '--email', `${name}@example.com`, '--role', role, '--password-stdin', '--json', ...cfg], { stdin: `${name}-password-1\n` })
      expect(r.code, r.stderr).toBe(0)
    }

    // 4. The application logs in, lists devices and reads the temperature.
    const appToken = await eventually(() => login(ready.api, 'fig5-app', 'fig5-app-password-1'))
    const clients = await getJson<{ items: { endpoint: string }[] }>(`${ready.api}/clients`, appToken)
    expect(clients.status).toBe(200)
    expect(clients.body.items.map((c) => c.endpoint)).toContain('fig5-sensor')
    const read = await getJson<{ values: Record<string, unknown> }>(`${ready.api}/clients/fig5-sensor/3303/0/5700`, appToken)
    expect(read.status).toBe(200)
    const temperature = read.body.values['/3303/0/5700']
    expect(typeof temperature).toBe('number')

    // 5. It posts an anomaly about the reading.
    const post = await fetch(`${ready.api}/anomalies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'fig5-sensor', level: 3, data: { temperature, rule: 'fig5' }, timestamp: new Date().toISOString() }),
    })
    expect(post.status).toBe(202)
    const { id } = (await post.json()) as { id: string }

    // 6. A user lists it, and it verifies against the root anchored on chain.
    const userToken = await eventually(() => login(ready.api, 'fig5-user', 'fig5-user-password-1'))
    const listed = await eventually(async () => {
      const r = await getJson<{ items: { id: string; endpoint: string; level: number }[] }>(`${ready.api}/anomalies?endpoint=fig5-sensor`, userToken)
      return r.body.items.find((a) => a.id === id)
    })
    expect(listed).toMatchObject({ endpoint: 'fig5-sensor', level: 3 })
    await eventually(async () => {
      const r = await getJson<{ verification: string }>(`${ready.api}/anomalies/${id}`, userToken)
      return r.body.verification === 'VALID' ? true : undefined
    })
    const verify = await run(['anomaly', 'verify', id, ...cfg])
    expect(verify.stdout.trim(), verify.stderr).toBe('VALID')
    expect(verify.code).toBe(0)

    // The device de-registers cleanly; dev stops in order.
    expect(await sim.stop()).toBe(0)
    sim = undefined
    expect(await dev.stop()).toBe(0)
    dev = undefined
  }, 180_000)
})
