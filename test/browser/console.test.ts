import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { hexToBytes, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runServeServer, type RunningServer } from '../../src/commands/serve/server.js'
import type { ChainCommandOptions } from '../../src/commands/lib/context.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { runUserUpdate } from '../../src/commands/user/update.js'
import { silentLogger } from '../../src/logger.js'
import { createDevice, type Device } from '../../src/simulator/index.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { ensureConsoleBuilt } from './buildConsole.js'
import { CHROMIUM_PATH, hasChromium, launchChromium, type TestBrowser } from './chromium.js'
import { NARROW, widthAtNarrow } from './narrow.js'

// Code passed to page.evaluate runs in the browser (this file is type-checked without the DOM lib).
declare const sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void }

/** Screenshots kept for people to look at (git-ignored). */
const ARTIFACTS = resolve('test/artifacts')
const ACCOUNTS = {
  admin: { username: 'root', email: 'root@example.org', role: 'admin', password: 'admin-password-1' },
  user: { username: 'alice', email: 'alice@example.org', role: 'user', password: 'alice-password-1' },
  app: { username: 'monitor', email: 'monitor@example.org', role: 'application', password: 'monitor-password-1' },
} as const
const DEVICE_TIMERS = { ackTimeoutMs: 500, maxRetransmit: 3, handshakeTimeoutMs: 3_000, retryDelayMs: 100, maxRetryDelayMs: 1_000, retryAttempts: 5, stopTimeoutMs: 1_000 }

if (!hasChromium()) {
  console.warn(`browser tests skipped: ${CHROMIUM_PATH} is missing (apt-get install -y chromium)`)
}

describe.skipIf(!hasChromium())('web console in chromium', () => {
  let dir: string
  let anvil: TestAnvil
  let server: RunningServer
  /** `http://127.0.0.1:PORT`: the console at `/`, the API at `/api`. */
  let http: string
  let browser: TestBrowser
  let device: Device
  let o: ChainCommandOptions & { configDir: string }
  /** Every URL the browser asked for. */
  const requested: string[] = []

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    dir = mkdtempSync(join(tmpdir(), 'lwchain-console-'))
    mkdirSync(ARTIFACTS, { recursive: true })
    // The console as the package build makes it (`npm run build:web`: vite, web/ → dist/web/), where
    // `serve server` finds it; rebuilt when web/ changed since, so the test drives the current source.
    const built = ensureConsoleBuilt()
    anvil = await startAnvil()
    o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
    for (const a of Object.values(ACCOUNTS)) await runUserAdd(o, a)
    await built
    const logger = silentLogger()
    server = await runServeServer({
      ...o,
      port: 0,
      httpPort: 0,
      pollIntervalMs: 100,
      coapTimers: { ackTimeoutMs: 500, maxRetransmit: 3, responseTimeoutMs: 5_000 },
      ledger: { batchIntervalMs: 200, pollIntervalMs: 200 },
      console: true,
      // One key for the ledger and the admin pages, as `dev` does (test/daemons/leastPrivilege.test.ts splits them).
      singleKey: true,
      logger,
    })
    http = server.api.replace(/\/api$/, '')

    // One registered device with a temperature sensor, for the device view (Fig. 8).
    const { result } = await runClientAdd(o, { endpoint: 'sensor-1', serverUri: server.url })
    await until(() => server.view!.clientByEndpoint('sensor-1') !== undefined)
    device = createDevice({
      endpoint: 'sensor-1',
      server: { uri: result.server.uri, identity: result.server.identity, key: hexToBytes(`0x${result.server.key}` as Hex) },
      temperature: 23.25,
      timers: DEVICE_TIMERS,
      logger,
    })
    await device.start()
    await until(() => server.daemon.registrations.byEndpoint('sensor-1') !== undefined)
    browser = await launchChromium()
    browser.context.on('request', (r) => requested.push(r.url()))
  }, 120_000)

  afterAll(async () => {
    await browser?.stop()
    await device?.stop().catch(() => {})
    await server?.stop()
    await anvil?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** A new tab (its own sessionStorage) signed in as `who`, by keyboard only. */
  async function signIn(who: keyof typeof ACCOUNTS): Promise<Page> {
    const page = await browser.context.newPage()
    await page.goto(`${http}/`)
    await page.getByLabel('Username or e-mail').waitFor()
    // The username field has focus on load; Tab reaches the password, Enter submits.
    await page.keyboard.type(ACCOUNTS[who].username)
    await page.keyboard.press('Tab')
    await page.keyboard.type(ACCOUNTS[who].password)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Registered devices' }).waitFor()
    return page
  }

  it('an admin logs in, adds a device and sees it, with its generated keys shown once', async () => {
    const page = await signIn('admin')
    await page.getByRole('link', { name: 'Manage devices' }).click()
    await page.getByRole('heading', { name: 'Manage devices' }).waitFor()
    await page.getByLabel('Endpoint name').fill('console-dev-1')
    await page.getByRole('button', { name: 'Add device' }).click()

    const creds = page.getByRole('region', { name: 'Credentials of console-dev-1' })
    await creds.waitFor({ timeout: 30_000 })
    const text = await creds.textContent()
    expect(text).toMatch(/Server PSK key \(hex\)[0-9a-f]{32,}/)
    expect(await creds.getByRole('button', { name: /^Copy/ }).count()).toBe(6)
    // The copy button puts the key on the clipboard.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: http })
    const key = /Server PSK key \(hex\)([0-9a-f]+)/.exec(text!)![1]
    await creds.getByRole('button', { name: 'Copy Server PSK key (hex)' }).click()
    await creds.getByText('Copied').waitFor()
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(key)
    const row = page.locator('tr[data-endpoint="console-dev-1"]')
    await row.waitFor()
    expect(await row.textContent()).toContain('Provisioned, not registered')
    await page.screenshot({ path: join(ARTIFACTS, 'console-admin-devices.png'), fullPage: true })
    // The credentials card's long keys and the list fit 800 px.
    expect.soft(await widthAtNarrow(page, 'console-admin-devices')).toBeLessThanOrEqual(NARROW)

    // Shown once: dismissed, the keys are gone from the page for good.
    await page.getByRole('button', { name: 'I have saved them' }).click()
    await page.reload()
    await row.waitFor()
    expect(await page.getByRole('region', { name: /Credentials of/ }).count()).toBe(0)
    await page.close()
  })

  it('the device view lists the registered device with its times and reads its temperature', async () => {
    const page = await signIn('admin')
    const row = page.locator('tr[data-endpoint="sensor-1"]')
    await row.waitFor()
    expect(await row.locator('td').nth(0).textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
    await row.getByRole('button', { name: 'Read temperature of sensor-1' }).click()
    await row.getByText('23.25 °C').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'console-devices.png'), fullPage: true })
    expect.soft(await widthAtNarrow(page, 'console-devices')).toBeLessThanOrEqual(NARROW)
    await page.close()
  })

  it('shows temperatures live without a click (observed on registration), and still after a reload', async () => {
    const page = await signIn('user')
    const row = page.locator('tr[data-endpoint="sensor-1"]')
    await row.waitFor()
    device.temperature(24.5)
    await row.getByText('24.5 °C').waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Registered devices' }).waitFor()
    await row.getByText('24.5 °C').waitFor()
    await page.close()
  })

  it('keeps a temperature that came live while a reload of the list was on its way', async () => {
    const page = await signIn('user')
    page.setDefaultTimeout(15_000)
    const row = page.locator('tr[data-endpoint="sensor-1"]')
    await row.waitFor()
    // The list's next answer is taken from the server now, and handed to the page only later.
    const held: Array<() => Promise<void>> = []
    await page.route(/\/api\/clients\?/, async (route) => {
      const response = await route.fetch()
      held.push(() => route.fulfill({ response }))
    })
    const lastUpdate = await row.locator('td.time').nth(1).textContent()
    // A registration update makes the page reload its list (the answer is held)...
    await device.update()
    await expect.poll(() => held.length, { timeout: 15_000 }).toBeGreaterThan(0)
    // ...then a notification comes live, newer than that answer...
    device.temperature(25.75)
    await row.getByText('25.75 °C').waitFor()
    // ...and the older answer lands: the row takes its new update time and keeps 25.75.
    for (const release of held.splice(0)) await release()
    await page.unroute(/\/api\/clients\?/)
    await expect.poll(() => row.locator('td.time').nth(1).textContent(), { timeout: 15_000 }).not.toBe(lastUpdate)
    expect(await row.locator('td.num').textContent()).toBe('25.75 °C')
    await page.close()
  })

  it('the device page shows the object tree with names, types, units and live values, and runs every operation', async () => {
    const page = await signIn('admin')
    // A failing step names its locator well within the test's time.
    page.setDefaultTimeout(12_000)
    await page.locator('tr[data-endpoint="sensor-1"]').getByRole('link', { name: 'sensor-1' }).click()
    await page.getByRole('heading', { name: 'sensor-1', level: 1 }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/devices/sensor-1')
    // The tree: objects from the registration, named from the models.
    const objects = page.getByRole('navigation', { name: 'Objects' })
    // The heading comes from the address; the tree follows once the registration and models load.
    await expect.poll(() => objects.getByRole('button').allTextContents(), { timeout: 12_000 }).toEqual(['LwM2M Server /11 instance', 'Device /31 instance', 'Temperature /33031 instance'])
    const temp = page.locator('section[data-object="3303"]')
    await temp.getByRole('heading', { name: /Temperature \/3303/ }).waitFor()
    const value = temp.locator('tr[data-path="/3303/0/5700"]')
    expect(await value.textContent()).toMatch(/^5700Sensor ValuefloatR/)
    device.temperature(24.5)
    await value.locator('.v').getByText('24.5', { exact: true }).waitFor()
    // Live: notifications update the value and draw the plot of recent values.
    device.temperature(26)
    await value.locator('.v').getByText('26', { exact: true }).waitFor()
    device.temperature(27.5)
    await value.locator('.v').getByText('27.5', { exact: true }).waitFor()
    await value.locator('svg polyline').waitFor()

    await objects.getByRole('button', { name: /^Device/ }).click()
    const device3 = page.locator('section[data-object="3"]')
    const row = (p: string) => page.locator(`tr[data-path="${p}"]`)
    // Read.
    await page.getByRole('button', { name: 'Read Manufacturer /3/0/0' }).click()
    await row('/3/0/0').getByText('lwchain', { exact: true }).waitFor()
    // Write with an input of the resource's type, then read it back.
    await page.getByLabel('New value of UTC Offset /3/0/14').fill('+01:00')
    await row('/3/0/14').getByRole('button', { name: 'Write', exact: true }).click()
    await row('/3/0/14').getByText('Written: +01:00.').waitFor()
    await page.getByRole('button', { name: 'Read UTC Offset /3/0/14' }).click()
    await row('/3/0/14').getByText('Read: 2.05 Content.').waitFor()
    expect(await row('/3/0/14').locator('.v').textContent()).toBe('+01:00')
    // Device errors as plain messages: a resource the device lacks (4.04), a Delete it refuses (4.05).
    await page.getByRole('button', { name: 'Read Timezone /3/0/15' }).click()
    await row('/3/0/15').getByRole('alert').getByText(/has no such object, instance or resource \(4\.04 Not Found\)/).waitFor()
    await device3.getByRole('button', { name: 'Delete instance /3/0' }).click()
    await device3.getByRole('button', { name: 'Confirm delete of /3/0' }).click()
    await device3.locator('.outcome[data-path="/3/0"]').getByText(/does not allow this operation here \(4\.05 Method Not Allowed\)/).waitFor()
    // Observe and cancel on a resource.
    await page.getByRole('button', { name: 'Observe Current Time /3/0/13' }).click()
    await row('/3/0/13').getByText(/^Observing/).waitFor()
    await page.getByRole('button', { name: 'Cancel observation of Current Time /3/0/13' }).click()
    await row('/3/0/13').getByText('Observation cancelled.').waitFor()
    await page.setViewportSize({ width: 1366, height: 768 })
    await page.screenshot({ path: join(ARTIFACTS, 'console-device-object3-1366.png') })
    // A typed Write (boolean: a true/false select), checked against what the device then returns on Read.
    await objects.getByRole('button', { name: /^LwM2M Server/ }).click()
    const storing = 'Notification Storing When Disabled or Offline /1/0/6'
    await page.getByRole('button', { name: `Read ${storing}` }).click()
    await row('/1/0/6').getByText('Read: 2.05 Content.').waitFor()
    expect(await row('/1/0/6').locator('.v').textContent()).toBe('false')
    await page.getByLabel(`New value of ${storing}`).selectOption('true')
    await row('/1/0/6').getByRole('button', { name: 'Write', exact: true }).click()
    await row('/1/0/6').getByText('Written: true.').waitFor()
    await page.getByRole('button', { name: `Read ${storing}` }).click()
    await row('/1/0/6').getByText('Read: 2.05 Content.').waitFor()
    expect(await row('/1/0/6').locator('.v').textContent()).toBe('true')
    // The device itself holds a boolean true now (not "true", not 1).
    const token = (await page.evaluate(() => sessionStorage.getItem('lwchain.token')))!
    const read = (await (await fetch(`${http}/api/clients/sensor-1/1/0/6`, { headers: { authorization: `Bearer ${token}` } })).json()) as { values: Record<string, unknown> }
    expect(read.values['/1/0/6']).toBe(true)
    // Execute.
    await objects.getByRole('button', { name: /^Temperature/ }).click()
    await page.getByRole('button', { name: 'Execute Reset Min and Max Measured Values /3303/0/5605' }).click()
    await row('/3303/0/5605').getByText('Executed.').waitFor()
    // Discover and Write-Attributes are on every node, an executable resource too; Read and Observe only where it can be read.
    const reset = 'Reset Min and Max Measured Values /3303/0/5605'
    expect(await page.getByRole('button', { name: `Read ${reset}` }).count()).toBe(0)
    expect(await page.getByRole('button', { name: `Observe ${reset}` }).count()).toBe(0)
    await page.getByRole('button', { name: `Discover ${reset}` }).click()
    await row('/3303/0/5605').getByText(/^Discover: .*<\/3303\/0\/5605>/).waitFor()
    await page.getByRole('button', { name: `Write attributes of ${reset}` }).waitFor()
    // Discover and Write-Attributes on an instance.
    await temp.getByRole('button', { name: 'Discover instance /3303/0' }).click()
    await temp.getByText(/Discover: .*<\/3303\/0\/5700>/).waitFor()
    await temp.getByRole('button', { name: 'Write attributes of instance /3303/0', exact: true }).click()
    await page.locator('[id="attr-/3303/0-pmax"]').fill('30')
    await temp.getByRole('button', { name: 'Write attributes', exact: true }).click()
    await temp.getByText('Attributes written: pmax=30.').waitFor()
    // Create an instance, then delete it.
    await temp.getByRole('button', { name: 'Create an instance of Temperature' }).click()
    await page.getByLabel('Instance id').fill('7')
    await page.getByLabel(/^Sensor Value \(float/).fill('20')
    await temp.getByRole('button', { name: 'Create instance' }).click()
    await temp.getByText(/^Created/).waitFor()
    await temp.locator('[data-instance="/3303/7"]').waitFor()
    await page.setViewportSize({ width: 1366, height: 768 })
    await page.screenshot({ path: join(ARTIFACTS, 'console-device-1366.png'), fullPage: true })
    await temp.getByRole('button', { name: 'Delete instance /3303/7' }).click()
    await temp.getByRole('button', { name: 'Confirm delete of /3303/7' }).click()
    await temp.locator('[data-instance="/3303/7"]').waitFor({ state: 'detached' })
    expect.soft(await widthAtNarrow(page, 'console-device')).toBeLessThanOrEqual(NARROW)
    // The Device object (long names, time and string inputs) fits too.
    await objects.getByRole('button', { name: /^Device/ }).click()
    await device3.waitFor()
    expect.soft(await widthAtNarrow(page, 'console-device-object3')).toBeLessThanOrEqual(NARROW)
    await page.close()
  })

  it('a plain user sees the device page with values and plots but no operation', async () => {
    const page = await signIn('user')
    page.setDefaultTimeout(12_000)
    await page.goto(`${http}/devices/sensor-1`)
    await page.getByRole('heading', { name: 'sensor-1', level: 1 }).waitFor()
    const value = page.locator('tr[data-path="/3303/0/5700"]')
    device.temperature(28)
    await value
      .locator('.v')
      .getByText('28', { exact: true })
      .waitFor()
      .catch(async (err: Error) => {
        // Seen twice at load 5-6 on Node 24, cause not found yet: say whether the server had the value.
        const token = await login(http, ACCOUNTS.user)
        const api = (await (await fetch(`${http}/api/clients/sensor-1/values`, { headers: { authorization: `Bearer ${token}` } })).json()) as { values?: Record<string, unknown> }
        throw new Error(`${err.message.split('\n')[0]}; the API has /3303/0/5700 = ${JSON.stringify(api.values?.['/3303/0/5700'])}, the page shows ${JSON.stringify(await value.locator('.v').textContent())}, live: ${await page.locator('.dot.on').count()}`)
      })
    await value.locator('svg polyline').waitFor()
    // The plot spans the values seen (23.25 at registration up to 28), nothing else.
    expect(await value.locator('svg').getAttribute('aria-label')).toMatch(/from 2\d(\.\d+)? to 28, latest 28$/)
    // The stream drops; a value that arrives meanwhile is replayed when the console reconnects (Last-Event-ID).
    const resumedBefore = server.rest!.streams.replays().resumed
    server.rest!.streams.disconnectAll()
    device.temperature(28.75)
    await value.locator('.v').getByText('28.75', { exact: true }).waitFor()
    expect(server.rest!.streams.replays().resumed).toBeGreaterThan(resumedBefore)
    // The object list still works (it only chooses what is shown); nothing on the objects operates the device.
    expect(await page.locator('main section.object button').count()).toBe(0)
    expect(await page.locator('main input, main select').count()).toBe(0)
    await page.getByRole('navigation', { name: 'Objects' }).getByRole('button', { name: /^Device/ }).click()
    await page.locator('section[data-object="3"]').waitFor()
    expect(await page.locator('main section.object button').count()).toBe(0)
    await page.getByText(/Your role \(user\) shows values/).waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'console-device-user.png'), fullPage: true })
    expect.soft(await widthAtNarrow(page, 'console-device-user')).toBeLessThanOrEqual(NARROW)
    await page.close()
  })

  it('the device view follows registrations, de-registrations and temperature notifications live', async () => {
    const page = await signIn('admin')
    const token = (await page.evaluate(() => sessionStorage.getItem('lwchain.token')))!
    const observe = await fetch(`${http}/api/clients/sensor-1/3303/0/5700/observe`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    expect(observe.status).toBe(200)
    device.temperature(30.5)
    const row = page.locator('tr[data-endpoint="sensor-1"]')
    await row.getByText('30.5 °C').waitFor()

    const { result } = await runClientAdd(o, { endpoint: 'sensor-2', serverUri: server.url })
    await until(() => server.view!.clientByEndpoint('sensor-2') !== undefined)
    const second = createDevice({
      endpoint: 'sensor-2',
      server: { uri: result.server.uri, identity: result.server.identity, key: hexToBytes(`0x${result.server.key}` as Hex) },
      timers: DEVICE_TIMERS,
      logger: silentLogger(),
    })
    try {
      await second.start()
      await page.locator('tr[data-endpoint="sensor-2"]').waitFor()
      await page.screenshot({ path: join(ARTIFACTS, 'console-devices-live.png'), fullPage: true })
    } finally {
      await second.stop()
    }
    await page.locator('tr[data-endpoint="sensor-2"]').waitFor({ state: 'detached' })
    // The stream carried all that with the token in a header: never in a URL, where logs keep it.
    expect(requested.some((u) => u.endsWith('/api/events'))).toBe(true)
    expect(requested.filter((u) => /token=/i.test(u))).toEqual([])
    await fetch(`${http}/api/clients/sensor-1/3303/0/5700/observe`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })
    await page.close()
  })

  it('an admin moves and removes a device', async () => {
    await runClientAdd(o, { endpoint: 'console-dev-2' })
    await until(() => server.view!.clientByEndpoint('console-dev-2') !== undefined)
    const page = await signIn('admin')
    await page.getByRole('link', { name: 'Manage devices' }).click()
    const row = page.locator('tr[data-endpoint="console-dev-2"]')
    await row.waitFor()
    await row.getByRole('button', { name: 'Move console-dev-2', exact: true }).click()
    await page.getByLabel('New server URI for console-dev-2').fill('coaps://127.0.0.1:15684')
    // With the move form open in its row, the list still fits 800 px.
    expect.soft(await widthAtNarrow(page, 'console-admin-devices-move')).toBeLessThanOrEqual(NARROW)
    await row.getByRole('button', { name: 'Move', exact: true }).click()
    await page.getByText('Device console-dev-2 moved to coaps://127.0.0.1:15684').waitFor()
    expect(server.view!.clientByEndpoint('console-dev-2')?.server.uri).toBe('coaps://127.0.0.1:15684')

    await row.getByRole('button', { name: 'Remove console-dev-2' }).click()
    await row.getByRole('button', { name: 'Confirm removal of console-dev-2' }).click()
    await page.getByText('Device console-dev-2 removed').waitFor()
    await row.waitFor({ state: 'detached' })
    expect(server.view!.clientByEndpoint('console-dev-2')).toBeUndefined()
    await page.close()
  })

  it('an admin adds a user (password shown once), changes the role and e-mail, then removes the user', async () => {
    const page = await signIn('admin')
    await page.getByRole('link', { name: 'Users' }).click()
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor()
    await page.getByLabel('Username').fill('bob')
    await page.getByLabel('E-mail').fill('bob@example.org')
    await page.getByLabel('Role').selectOption('user')
    await page.getByRole('button', { name: 'Add user' }).click()
    const shown = page.getByRole('region', { name: 'Password of bob' })
    await shown.waitFor()
    const password = (await shown.locator('code').textContent())!
    expect(password.length).toBeGreaterThanOrEqual(12)
    const row = page.locator('tr[data-username="bob"]')
    await row.waitFor()
    expect(await row.locator('td').first().textContent()).toBe('user')
    await page.screenshot({ path: join(ARTIFACTS, 'console-users.png'), fullPage: true })
    expect.soft(await widthAtNarrow(page, 'console-users')).toBeLessThanOrEqual(NARROW)
    // The generated password works.
    expect(await login(http, { username: 'bob', password })).toMatch(/^ey/)

    await row.getByRole('button', { name: 'Edit bob' }).click()
    await row.getByLabel('Role').selectOption('application')
    await row.getByLabel('New e-mail (empty: keep)').fill('bob@other.example.org')
    expect.soft(await widthAtNarrow(page, 'console-users-edit')).toBeLessThanOrEqual(NARROW)
    await row.getByRole('button', { name: 'Save' }).click()
    await page.getByText('User bob updated.').waitFor()
    await until(() => server.view!.userByUsername('bob')?.roleName === 'application')
    // The success note comes before the list has re-rendered: wait for the row to say so.
    await page.locator('tr[data-username="bob"] td').first().getByText('application', { exact: true }).waitFor()
    expect(server.view!.userByEmail('bob@other.example.org')?.username).toBe('bob')

    await page.getByRole('button', { name: 'Remove bob' }).click()
    await page.getByRole('button', { name: 'Confirm removal of bob' }).click()
    await page.getByText('User bob removed.').waitFor()
    await page.locator('tr[data-username="bob"]').waitFor({ state: 'detached' })
    await page.close()
  })

  it('a plain user sees no admin links, a direct URL to user management is refused, and so is the API', async () => {
    const page = await signIn('user')
    const nav = page.getByRole('navigation', { name: 'Main' })
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Devices', 'Anomalies'])
    // Users may watch devices but not operate them: no Read button either.
    await page.locator('tr[data-endpoint="sensor-1"]').waitFor()
    expect(await page.getByRole('button', { name: /Read temperature/ }).count()).toBe(0)

    await page.goto(`${http}/admin/users`)
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor()
    expect(await page.getByRole('alert').textContent()).toContain('for administrators')
    expect(await page.getByRole('button', { name: 'Add user' }).count()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, 'console-user-refused.png'), fullPage: true })

    const status = await page.evaluate(async () => {
      const token = sessionStorage.getItem('lwchain.token')
      const r = await fetch('/api/admin/users', { headers: { authorization: `Bearer ${token}` } })
      return r.status
    })
    expect(status).toBe(403)
    await page.close()
  })

  it('a posted anomaly shows up live in the anomaly log, then as verified on chain', async () => {
    const page = await signIn('user')
    await page.getByRole('link', { name: 'Anomalies' }).click()
    await page.getByRole('heading', { name: 'Anomaly log' }).waitFor()
    await page.getByText('No anomaly matches.').waitFor()

    const token = await login(http, ACCOUNTS.app)
    const res = await fetch(`${http}/api/anomalies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'sensor-1', level: 4, data: { temperature: 81.5, rule: 'above 60' } }),
    })
    expect(res.status).toBe(202)
    const { id } = (await res.json()) as { id: string }

    // No reload: the row arrives through the SSE stream.
    const row = page.locator(`tr[data-id="${id}"]`)
    await row.waitFor()
    expect(await row.textContent()).toContain('sensor-1')
    expect(await row.textContent()).toContain('"temperature":81.5')

    await server.ledger!.flush()
    await row.getByText('Verified').waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'console-anomalies.png'), fullPage: true })
    expect.soft(await widthAtNarrow(page, 'console-anomalies')).toBeLessThanOrEqual(NARROW)

    // An older one (collected in 2020) for the time filter.
    const older = await fetch(`${http}/api/anomalies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ endpoint: 'sensor-1', level: 2, data: { temperature: 45 }, timestamp: '2020-01-01T00:00:00Z' }),
    })
    const { id: oldId } = (await older.json()) as { id: string }
    await page.locator(`tr[data-id="${oldId}"]`).waitFor()

    // Filters: device, level, time; Clear brings everything back.
    const rows = page.locator('tbody tr')
    await page.getByLabel('Level at least').fill('3')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.locator(`tr[data-id="${oldId}"]`).waitFor({ state: 'detached' })
    expect(await rows.count()).toBe(1)
    await page.getByRole('button', { name: 'Clear' }).click()
    await page.locator(`tr[data-id="${oldId}"]`).waitFor()
    await page.getByLabel('To').fill('2021-01-01T00:00:00')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await row.waitFor({ state: 'detached' })
    expect(await rows.count()).toBe(1)
    await page.getByRole('button', { name: 'Clear' }).click()
    await page.getByLabel('Device').fill('other-device')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByText('No anomaly matches.').waitFor()
    await page.close()
  })

  it('is usable with the keyboard: links reached with Tab, Enter follows them, focus moves to the new page', async () => {
    const page = await signIn('user')
    const focused = () => page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: { id: string; textContent: string | null } | null } }).document.activeElement
      return { id: el?.id ?? '', text: el?.textContent?.trim() ?? '' }
    })
    let presses = 0
    while ((await focused()).text !== 'Anomalies') {
      if (++presses > 15) throw new Error('Tab never reached the Anomalies link')
      await page.keyboard.press('Tab')
    }
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Anomaly log' }).waitFor()
    // Focus moves in an effect after the new page is painted: a moment after its heading shows.
    await expect.poll(async () => (await focused()).id, { timeout: 10_000 }).toBe('main')
    // The first stop inside the page is the first filter.
    await page.keyboard.press('Tab')
    expect((await focused()).id).toBe('f-endpoint')
    await page.close()
  })

  it('a session whose token has expired is signed out', async () => {
    const page = await signIn('user')
    // A token whose exp is in the past (the console reads exp; the API would refuse it anyway).
    const expired = `x.${Buffer.from(JSON.stringify({ sub: 'alice', role: 'user', exp: 1 })).toString('base64url')}.y`
    await page.evaluate((t) => sessionStorage.setItem('lwchain.token', t), expired)
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in to lwchain' }).waitFor()
    expect(await page.evaluate(() => sessionStorage.getItem('lwchain.token'))).toBeNull()
    await page.close()
  })

  it('a session the API stops accepting (account changed on chain) is signed out on its next call', async () => {
    const page = await signIn('user')
    const before = server.view!.userByUsername('alice')!.version
    await runUserUpdate(o, { username: 'alice', role: 'application' })
    await until(() => (server.view!.userByUsername('alice')?.version ?? before) > before)
    // The next call signs out: the click's, or one the page makes by itself first (the live
    // stream's reconnect is refused, and a reload on it gets 401), which detaches the link.
    const signInHeading = page.getByRole('heading', { name: 'Sign in to lwchain' })
    if (!(await signInHeading.isVisible())) {
      await page
        .getByRole('link', { name: 'Anomalies' })
        .click({ timeout: 5_000 })
        .catch(async (err: Error) => {
          if (!(await signInHeading.isVisible())) throw err
        })
    }
    await signInHeading.waitFor()
    expect(await page.getByText('Your session ended').count()).toBe(1)
    await page.close()
  })
})

async function login(base: string, a: { username: string; password: string }): Promise<string> {
  const r = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: a.username, password: a.password }) })
  if (!r.ok) throw new Error(`login of ${a.username} failed: ${r.status} ${await r.text()}`)
  return ((await r.json()) as { token: string }).token
}

/** Resolves once `check` holds (the test timeout bounds it). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 25))
}
