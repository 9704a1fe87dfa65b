import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runServeServer, type RunningServer } from '../../src/commands/serve/server.js'
import type { ChainCommandOptions } from '../../src/commands/lib/context.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { silentLogger } from '../../src/logger.js'
import { rpcCall, startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { ensureConsoleBuilt } from './buildConsole.js'
import { CHROMIUM_PATH, hasChromium, launchChromium, type TestBrowser } from './chromium.js'

// The anomaly log shows each ledger status distinctly, live from SSE, driven through a real ledger
// on anvil: pending (automine off, the transaction pooled), included (mined, 2 then 1
// confirmations to go), un-anchored by anvil_reorg (back to pending, with a note), re-included,
// anchored (final, verified on chain), and quarantined (a record no transaction can hold, with the reason).

/** Screenshots kept for people to look at (git-ignored). */
const ARTIFACTS = resolve('test/artifacts')
const USER = { username: 'alice', email: 'alice@example.org', role: 'user', password: 'alice-password-1' } as const
const APP = { username: 'monitor', email: 'monitor@example.org', role: 'application', password: 'monitor-password-1' } as const
const LONG = 60_000

if (!hasChromium()) console.warn(`browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`)

describe.skipIf(!hasChromium())('anomaly statuses in the console (chromium)', () => {
  let dir: string
  let anvil: TestAnvil
  let server: RunningServer
  let http: string
  let browser: TestBrowser
  let appToken: string
  /** Every URL the browser asked for. */
  const requested: string[] = []

  const rpc = (method: string, params: unknown[] = []): Promise<unknown> => rpcCall(anvil.rpcUrl, method, params)
  /** Resolves once anvil's pool holds a transaction (the ledger has broadcast its batch). */
  const pooled = async (): Promise<void> => {
    await until(async () => Number(((await rpc('txpool_status')) as { pending: string }).pending) > 0)
  }
  const post = async (data: unknown): Promise<string> => {
    const res = await fetch(`${http}/api/anomalies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${appToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'plant-7', level: 4, data }),
    })
    expect(res.status).toBe(202)
    return ((await res.json()) as { id: string }).id
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true })
  const statusCell = (row: Locator) => row.locator('td').nth(4)

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    dir = mkdtempSync(join(tmpdir(), 'lwchain-anomaly-status-'))
    mkdirSync(ARTIFACTS, { recursive: true })
    const built = ensureConsoleBuilt()
    anvil = await startAnvil()
    const o: ChainCommandOptions & { configDir: string } = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
    for (const a of [USER, APP]) await runUserAdd(o, a)
    await built
    server = await runServeServer({
      ...o,
      port: 0,
      httpPort: 0,
      pollIntervalMs: 100,
      // Final 2 blocks under the head; transactions of at most 4 KiB, so 6,000 bytes of data never fit.
      ledger: { batchIntervalMs: 100, pollIntervalMs: 100, finality: { confirmations: 2 }, maxTxBytes: 4_096 },
      console: true,
      singleKey: true,
      logger: silentLogger(),
    })
    http = server.api.replace(/\/api$/, '')
    appToken = await login(http, APP)
    browser = await launchChromium()
    browser.context.on('request', (r) => requested.push(r.url()))
  }, 120_000)

  afterAll(async () => {
    await browser?.stop()
    await server?.stop()
    await anvil?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('follows one anomaly live: pending → included (2, then 1 to go) → un-anchored by a reorg → included again → anchored and verified', async () => {
    const page = await signIn(browser, http, USER)
    await page.getByRole('link', { name: 'Anomalies' }).click()
    await page.getByRole('heading', { name: 'Anomaly log' }).waitFor()
    await streaming(page)
    await page.getByText('No anomaly matches.').waitFor()

    // Nothing is mined until the test says so: the batch waits in the pool.
    await rpc('evm_setAutomine', [false])
    const id = await post({ pressure: 9.7, rule: 'above 9' })
    const row = page.locator(`tr[data-id="${id}"]`)
    await row.waitFor()
    await pooled()
    expect(await statusCell(row).textContent()).toBe('Pending anchoring')
    await shot(page, 'console-anomaly-pending.png')

    // Mined: included, not final, 2 blocks to go (finality is 2 confirmations).
    await rpc('anvil_mine', ['0x1'])
    await row.getByText('Included', { exact: true }).waitFor({ timeout: LONG })
    expect(await statusCell(row).textContent()).toMatch(/^Includedmined in block \d+, 2 confirmations to go, not final$/)
    expect(await row.getAttribute('data-status')).toBe('included')
    // Verified on chain only once final: no check was asked for yet.
    expect(requested.filter((u) => u.includes(`/api/anomalies/${id}`))).toEqual([])
    await shot(page, 'console-anomaly-included.png')

    // A reload shows the same from the list (once the ledger's round that saw this head is over).
    await until(() => server.ledger!.get(id)?.confirmationsToGo === 2)
    await page.reload()
    await row.getByText('2 confirmations to go').waitFor({ timeout: LONG })
    // The reloaded page opens a new stream: the next block's event must find it open.
    await streaming(page)
    // One block more: one confirmation fewer, live (anomaly-confirmations), still not final.
    await rpc('anvil_mine', ['0x1'])
    await row.getByText('1 confirmation to go', { exact: false }).waitFor({ timeout: LONG })
    expect(await statusCell(row).textContent()).toMatch(/^Includedmined in block \d+, 1 confirmation to go, not final$/)

    // A reorganisation of depth 2 takes its block away before it is final: back to pending, with a note.
    await rpc('anvil_reorg', [2, []])
    await row.getByText('Removed by a reorganisation; will be re-anchored').waitFor({ timeout: LONG })
    expect(await statusCell(row).textContent()).toBe('Pending anchoring' + 'Removed by a reorganisation; will be re-anchored')
    expect(await row.getAttribute('data-status')).toBe('pending')
    expect(await page.getByRole('status').textContent()).toBe('1 anomaly was removed from the chain by a reorganisation; it will be re-anchored')
    await shot(page, 'console-anomaly-unanchored.png')

    // The ledger sends the very same transaction again; mined again, then 2 more blocks make it final.
    await pooled()
    await rpc('anvil_mine', ['0x1'])
    await row.getByText('(again, after a reorganisation)').waitFor({ timeout: LONG })
    expect(await statusCell(row).textContent()).toMatch(/^Includedmined in block \d+, 2 confirmations to go, not final \(again, after a reorganisation\)$/)
    await rpc('anvil_mine', ['0x1'])
    await row.getByText('1 confirmation to go', { exact: false }).waitFor({ timeout: LONG })
    await shot(page, 'console-anomaly-reincluded.png')
    await rpc('anvil_mine', ['0x1'])
    await row.getByText('Verified').waitFor({ timeout: LONG })
    expect(await statusCell(row).textContent()).toMatch(/^Verifiedanchored, final \(block \d+\)$/)
    expect(requested.filter((u) => u.includes(`/api/anomalies/${id}`)).length).toBeGreaterThan(0)
    expect(await page.getByRole('status').textContent()).toBe('1 anomaly removed by a reorganisation is anchored again (final)')
    await shot(page, 'console-anomaly-anchored.png')
    await rpc('evm_setAutomine', [true])
    await page.close()
  }, 180_000)

  it('shows a record no transaction can hold as quarantined, with the reason as text and tooltip', async () => {
    const page = await signIn(browser, http, USER)
    await page.getByRole('link', { name: 'Anomalies' }).click()
    await page.getByRole('heading', { name: 'Anomaly log' }).waitFor()
    await streaming(page)
    const id = await post({ blob: 'q'.repeat(6_000) })
    const row = page.locator(`tr[data-id="${id}"]`)
    await row.getByText('Quarantined').waitFor({ timeout: LONG })
    const reason = server.ledger!.get(id)!.error!
    expect(reason).toMatch(/over the 4096-byte limit/)
    expect(await statusCell(row).textContent()).toBe(`QuarantinedNever anchored: ${reason}`)
    expect(await row.getByText('Quarantined').getAttribute('title')).toBe(reason)
    expect(requested.filter((u) => u.includes(`/api/anomalies/${id}`))).toEqual([])
    // 6 KB of data: the cell shows its start, the whole on hover.
    expect(await row.locator('td.data').textContent()).toMatch(/^\{"blob":"q{191}… \(6011 characters\)$/)
    await shot(page, 'console-anomaly-quarantined.png')
    // The list says so too, after a reload.
    await page.reload()
    await row.getByText(`Never anchored: ${reason}`).waitFor({ timeout: LONG })
    await page.close()
  }, 120_000)
})

/** Resolves once the page's event stream is open (the server streams to it from then on). */
async function streaming(page: Page): Promise<void> {
  await page.getByText('Live updates connected.').waitFor({ state: 'attached', timeout: LONG })
}

/** A new tab signed in as `who`. */
async function signIn(browser: TestBrowser, http: string, who: { username: string; password: string }): Promise<Page> {
  const page = await browser.context.newPage()
  await page.goto(`${http}/`)
  await page.getByLabel('Username or e-mail').fill(who.username)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: /sign in|log in/i }).click()
  await page.getByRole('heading', { name: 'Registered devices' }).waitFor()
  return page
}

async function login(base: string, a: { username: string; password: string }): Promise<string> {
  const r = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: a.username, password: a.password }) })
  if (!r.ok) throw new Error(`login of ${a.username} failed: ${r.status} ${await r.text()}`)
  return ((await r.json()) as { token: string }).token
}

/** Resolves once `check` holds (the test timeout bounds it). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 25))
}
