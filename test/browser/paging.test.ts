/**
 * The console with 10,000 devices: one page of rows in the DOM, search and paging timed, for the
 * registered devices (Devices) and for those provisioned on chain (Manage devices). The
 * registrations are put in the server's in-memory registration store, and the provisioned devices
 * come from a chain view holding 10,000 clients (registering 10,000 simulated devices over DTLS,
 * or provisioning them on chain, would take minutes and test something else); the API, the
 * console and the browser are the real ones.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerApi } from '../../src/api/index.js'
import { hashPassword } from '../../src/chain/users/password.js'
import type { ChainView } from '../../src/chain/view/createChainView.js'
import type { ClientView, UserView } from '../../src/chain/view/types.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { silentLogger } from '../../src/logger.js'
import { createInMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import { createInMemoryRegistrationStore, type Registration } from '../../src/lwm2m/server/index.js'
import { ensureConsoleBuilt } from './buildConsole.js'
import { hasChromium, launchChromium, type TestBrowser } from './chromium.js'
import { NARROW, widthAtNarrow } from './narrow.js'

const ARTIFACTS = resolve('test/artifacts')
const N = 10_000
const PASSWORD = 'paging-password-1'

const pad = (i: number): string => String(i).padStart(5, '0')

/** A registration as the server keeps it, for a device that does not exist on the network. */
function registration(i: number, endpoint: string, now: number): Registration {
  return {
    id: `r${i}`,
    endpoint,
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
}

/**
 * A server daemon with the API and the console, `registered` in its registration store and, when
 * given, `provisioned` as the clients of its chain view (what GET /api/clients lists after the
 * registered ones, and Manage devices shows).
 */
async function startConsole(o: { registered: string[]; provisioned?: string[]; ops: UserView; values?: (values: { record(ep: string, v: Record<string, unknown>, source: 'notification'): void }) => void }): Promise<{ daemon: ServerDaemon; http: string }> {
  const registrations = createInMemoryRegistrationStore()
  const now = Date.now()
  o.registered.forEach((ep, i) => registrations.add(registration(i, ep, now)))
  const clients: ClientView[] | undefined = o.provisioned?.map((endpoint) => ({ endpoint, version: 1, bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: `bs-${endpoint}` }, server: { uri: 'coaps://127.0.0.1:5684', identity: `id-${endpoint}` } }) as ClientView)
  // The API asks a view for its clients (the device list) and its lag (metrics) only: no chain needed.
  const view = clients && ({ clients: () => clients, lag: () => ({ behind: 0 }) } as unknown as ChainView)
  const security = createInMemorySecurityStore([])
  const daemon = createServerDaemon({
    security,
    transport: createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0, dtls: false }),
    logger: silentLogger(),
    registrations,
    config: { httpPort: 0 },
    extendHttp: async (app, d) => {
      const mounted = await registerApi(app, {
        daemon: d,
        logger: silentLogger(),
        jwtKey: randomBytes(32),
        users: { byUsername: (u) => (u === 'ops' ? o.ops : undefined), byEmail: () => undefined },
        ...(view && { view }),
        // These devices do not exist on the network: observing them would only time out.
        autoObserve: { paths: [] },
        console: true,
      })
      o.values?.(mounted.values)
    },
  })
  return { daemon, http: (await daemon.start()).http!.url }
}

/** A new page signed in as ops, on the Devices page. */
async function signIn(browser: TestBrowser, http: string): Promise<Page> {
  const page = await browser.context.newPage()
  await page.goto(`${http}/`)
  await page.getByLabel('Username or e-mail').fill('ops')
  await page.getByLabel('Password').fill(PASSWORD)
  return page
}

describe.skipIf(!hasChromium())('the console with 10,000 devices', () => {
  let daemon: ServerDaemon
  let http: string
  /** 10,000 provisioned on chain, the first 100 of them registered. */
  let fleet: { daemon: ServerDaemon; http: string }
  let browser: TestBrowser
  const timings: Record<string, number> = {}

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const built = ensureConsoleBuilt()
    const ops: UserView = { username: 'ops', role: 1, roleName: 'admin', emailHash: '0x00', version: 1, passwordVerifier: await hashPassword(PASSWORD) }
    const devices = Array.from({ length: N }, (_, i) => `dev-${pad(i)}`)
    ;({ daemon, http } = await startConsole({
      registered: devices,
      ops,
      // Some latest values, as notifications would leave them.
      values: (values) => {
        for (let i = 0; i < N; i += 7) values.record(`dev-${pad(i)}`, { '/3303/0/5700': 20 + (i % 50) / 10 }, 'notification')
      },
    }))
    const nodes = Array.from({ length: N }, (_, i) => `node-${pad(i)}`)
    fleet = await startConsole({ registered: nodes.slice(0, 100), provisioned: nodes, ops })
    await built
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.stop()
    await daemon?.stop()
    await fleet?.daemon.stop()
    console.log(`paging at ${N} devices (ms): ${JSON.stringify(timings)}`)
  })

  /** Resolves with how long `step` took, in ms. */
  async function timed(name: string, step: () => Promise<unknown>): Promise<number> {
    const t0 = performance.now()
    await step()
    timings[name] = Math.round(performance.now() - t0)
    return timings[name]!
  }

  it('Devices: one page of 50 of the 10,000 registered, with the total; pages forward and back, and filters', async () => {
    const page = await signIn(browser, http)
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
    // At 800 px the list fits: no column sticks out (it was 862 px wide, the Read column clipped).
    const narrow = await widthAtNarrow(page, 'console-devices-10k', { fullPage: false })
    expect(narrow).toBeLessThanOrEqual(NARROW)

    await page.close()
    // Generous bounds for a loaded 2-core machine; the measured figures are printed.
    expect(timings['next page']).toBeLessThan(5_000)
    expect(timings['search one of 10,000']).toBeLessThan(5_000)
  }, 120_000)

  it('Manage devices: one page of 50 of the 10,000 provisioned (registered first), with the total; pages and searches', async () => {
    const page = await signIn(browser, fleet.http)
    await page.getByRole('button', { name: /sign in/i }).click()
    await page.getByRole('heading', { name: 'Registered devices' }).waitFor()
    await page.getByText('1–50 of 100', { exact: true }).waitFor()
    const rows = page.locator('tbody tr')
    await timed('provisioned: first page', async () => {
      await page.getByRole('link', { name: 'Manage devices' }).click()
      await page.getByText('1–50 of 10,000').waitFor()
    })
    // Only the page is in the DOM, not the 10,000.
    expect(await rows.count()).toBe(50)
    expect(await rows.first().getAttribute('data-endpoint')).toBe('node-00000')
    expect(await rows.first().textContent()).toContain('Registered')
    await page.screenshot({ path: join(ARTIFACTS, 'console-admin-devices-10k-1366.png'), fullPage: false })

    await timed('provisioned: next page', async () => {
      await page.getByRole('button', { name: 'Next page' }).click()
      await page.getByText('51–100 of 10,000').waitFor()
    })
    expect(await rows.count()).toBe(50)
    expect(await rows.first().getAttribute('data-endpoint')).toBe('node-00050')
    // Past the 100 registered: the provisioned ones, in endpoint order.
    await timed('provisioned: third page', async () => {
      await page.getByRole('button', { name: 'Next page' }).click()
      await page.getByText('101–150 of 10,000').waitFor()
    })
    expect(await rows.first().getAttribute('data-endpoint')).toBe('node-00100')
    expect(await rows.first().textContent()).toContain('Provisioned, not registered')

    await timed('provisioned: search one of 10,000', async () => {
      await page.getByLabel('Search devices').fill('node-09999')
      await page.getByText('1–1 of 1', { exact: true }).waitFor()
    })
    expect(await rows.count()).toBe(1)
    expect(await rows.first().getAttribute('data-endpoint')).toBe('node-09999')
    expect(await rows.first().textContent()).toContain('Provisioned, not registered')
    await timed('provisioned: search 1,000 of 10,000', async () => {
      await page.getByLabel('Search devices').fill('node-05')
      await page.getByText('1–50 of 1,000').waitFor()
    })
    expect(await rows.count()).toBe(50)
    expect(await rows.last().getAttribute('data-endpoint')).toBe('node-05049')

    await page.getByLabel('Search devices').fill('')
    await page.getByText('1–50 of 10,000').waitFor()
    const narrow = await widthAtNarrow(page, 'console-admin-devices-10k', { fullPage: false })
    expect(narrow).toBeLessThanOrEqual(NARROW)
    await page.close()
    expect(timings['provisioned: next page']).toBeLessThan(5_000)
    expect(timings['provisioned: search one of 10,000']).toBeLessThan(5_000)
  }, 120_000)
})
