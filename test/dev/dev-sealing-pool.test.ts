import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, start, type Running } from '../helpers/binary.js'

/**
 * The built binary's sealing pool: its worker is dist/sealingWorker.js beside the bundle (not the
 * .ts file tests load through tsx). An admin write makes the daemon seal in it; SIGTERM still ends
 * the process at once (the pool is closed in the ordered stop, no worker left running).
 */
describe('lwchain dev seals in its worker pool from the built dist', () => {
  let dir: string
  let dev: Running | undefined

  beforeAll(async () => {
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-dev-pool-'))
  }, 180_000)

  afterAll(async () => {
    await dev?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('adds and bulk-imports devices through the admin API, then stops cleanly on SIGTERM', async () => {
    dev = start(['dev', '--demo', '1', '--json', '--data-dir', join(dir, 'data'), '--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0'])
    const ready = JSON.parse(await dev.line()) as { api: string; admin: { username: string; password: string } }
    const login = await fetch(`${ready.api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ready.admin) })
    expect(login.status).toBe(200)
    const { token } = (await login.json()) as { token: string }
    const post = (url: string, body: object) =>
      fetch(`${ready.api}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })

    const one = await post('/admin/clients', { endpoint: 'pool-one' })
    expect(one.status).toBe(201)
    const imported = await post('/admin/clients/import', { rows: Array.from({ length: 20 }, (_, i) => ({ endpoint: `pool-bulk-${i}` })) })
    expect(imported.status).toBe(200)
    expect(await imported.json()).toMatchObject({ total: 20, landed: 20, failed: 0 })

    expect(await dev.stop()).toBe(0)
    expect(dev.stderr()).not.toMatch(/sealing worker|LWC_SEALING/)
  })
})
