/**
 * The console with 10,000 registered devices: one page of rows in the DOM, search and paging
 * timed. The registrations are put in the server's in-memory registration store (registering
 * 10,000 simulated devices over DTLS, or provisioning them on chain, would take minutes and test
 * something else); the API, the console and the browser are the real ones.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerApi } from '../../src/api/index.js'
import { hashPassword } from '../../src/chain/users/password.js'
import type { UserView } from '../../src/chain/view/types.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { silentLogger } from '../../src/logger.js'
import { createInMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { createInMemoryRegistrationStore, type Registration } from '../../src/lwm2m/server/index.js'
import { ensureConsoleBuilt } from './buildConsole.js'
import { hasChromium, launchChromium, type TestBrowser } from './chromium.js'

const ARTIFACTS = resolve('test/artifacts')
const N = 10_000
const PASSWORD = 'paging-password-1'

describe.skipIf(!hasChromium())('the console with 10,000 registered devices', () => {
  let daemon: ServerDaemon
  let http: string
  let browser: TestBrowser
  const timings: Record<string, number> = {}

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const built = ensureConsoleBuilt()
    const ops: UserView = { username: 'ops', role: 1, roleName: 'admin', emailHash: '0x00', version: 1, passwordVerifier: await hashPassword(PASSWORD) }
    const registrations = createInMemoryRegistrationStore()
    const now = Date.now()
    for (let i = 0; i < N; i++) {
      const reg: Registration = {
        id: `r${i}`,
        endpoint: `dev-${String(i).padStart(5, '0')}`,
        peer: { address: '127.0.0.1', port: 1 },
        lwm2mVersion: '1.1',
        lifetime: 86_400,
        binding: 'U',
        rootPath: '/',
        objectLinks: [{ objectId: 3, instanceId: 0 }, { objectId: 3303, instanceId: 0 }] as Registration['objectLinks'],
        registeredAt: now,
        lastUpdate: now,
        expiresAt: now + 86_400_000,
      }
      registrations.add(reg)
    }
    const security = createInMemorySecurityStore([])
    daemon = createServerDaemon({
      security,
      transport: createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0, dtls: false }),
      logger: silentLogger(),
      registrations,
      config: { httpPort: 0 },
      extendHttp: async (app, d) => {
        const values = await registerApi(app, {
          daemon: d,
          logger: silentLogger(),
          jwtKey: randomBytes(32),
          users: { byUsername: (u) => (u === 'ops' ? ops : undefined), byEmail: () => undefined },
          // These devices do not exist on the network: observing them would only time out.
          autoObserve: { paths: [] },
          console: true,
        })
        // Some latest values, as notifications would leave them.
        for (let i = 0; i < N; i += 7) values.values.record(`dev-${String(i).padStart(5, '0')}`, { '/3303/0/5700': 20 + (i % 50) / 10 }, 'notification')
      },
    })
    await built
    http = (await daemon.start()).http!.url
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.stop()
    await daemon?.stop()
    console.log(`paging at ${N} devices (ms): ${JSON.stringify(timings)}`)
  })

  /** Resolves with how long `step` took, in ms. */
  async function timed(name: string, step: () => Promise<unknown>): Promise<number> {
    const t0 = performance.now()
    await step()
    timings[name] = Math.round(performance.now() - t0)
    return timings[name]!
  }

  it('shows one page of 50 rows with the total, pages forward and back, and filters', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${http}/`)
    await page.getByLabel('Username or e-mail').fill('ops')
    await page.getByLabel('Password').fill(PASSWORD)
    const rows = page.locator('tbody tr')
    await timed('login to first page', async () => {
      await page.getByRole('button', { name: /sign in/i }).click()
      await page.getByText('1–50 of 10,000').waitFor()
    })
    expect(await rows.count()).toBe(50)
    expect(await rows.first().getAttribute('data-endpoint')).toBe('dev-00000')
    expect(await page.locator('tr[data-endpoint="dev-00000"]').textContent()).toContain('20 °C')
    await page.screenshot({ path: join(ARTIFACTS, 'console-devices-10k-1366.png'), fullPage: false })

    await timed('next page', async () => {
      await page.getByRole('button', { name: 'Next page' }).click()
      await page.getByText('51–100 of 10,000').waitFor()
    })
    expect(await rows.first().getAttribute('data-endpoint')).toBe('dev-00050')
    expect(await rows.count()).toBe(50)
    await page.getByRole('button', { name: 'Previous page' }).click()
    await page.getByText('1–50 of 10,000').waitFor()

    await timed('search one of 10,000', async () => {
      await page.getByLabel('Search devices').fill('dev-09999')
      await page.getByText('1–1 of 1').waitFor()
    })
    expect(await rows.count()).toBe(1)
    expect(await rows.first().getAttribute('data-endpoint')).toBe('dev-09999')
    await timed('search 1,000 of 10,000', async () => {
      await page.getByLabel('Search devices').fill('dev-05')
      await page.getByText('1–50 of 1,000').waitFor()
    })
    // Walk to the last page of the 1,000 matches.
    await timed('19 more pages', async () => {
      for (let p = 2; p <= 20; p++) {
        await page.getByRole('button', { name: 'Next page' }).click()
        await page.getByText(`${(p - 1) * 50 + 1}–${p * 50} of 1,000`).waitFor()
      }
    })
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true)
    expect(await rows.last().getAttribute('data-endpoint')).toBe('dev-05999')

    await page.getByLabel('Search devices').fill('')
    await page.getByText('1–50 of 10,000').waitFor()
    await page.setViewportSize({ width: 800, height: 900 })
    await page.screenshot({ path: join(ARTIFACTS, 'console-devices-10k-800.png'), fullPage: false })
    await page.setViewportSize({ width: 1366, height: 768 })

    // (Manage devices uses the same pager; it is hidden here, as a server without a chain has no device management.)
    await page.close()
    // Generous bounds for a loaded 2-core machine; the measured figures are printed.
    expect(timings['next page']).toBeLessThan(5_000)
    expect(timings['search one of 10,000']).toBeLessThan(5_000)
  }, 120_000)
})
