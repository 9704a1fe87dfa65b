import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runServeServer, type RunningServer } from '../../src/commands/serve/server.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { silentLogger } from '../../src/logger.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { ensureConsoleBuilt } from './buildConsole.js'
import { hasChromium, launchChromium, type TestBrowser } from './chromium.js'

/** A server without a writer key: the console hides device and user management and says why. */
describe.skipIf(!hasChromium())('web console on a server without a writer key', () => {
  let dir: string
  let anvil: TestAnvil
  let server: RunningServer
  let browser: TestBrowser

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    const built = ensureConsoleBuilt()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-console-nw-'))
    anvil = await startAnvil()
    const o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
    await runUserAdd(o, { username: 'root', email: 'root@example.org', role: 'admin', password: 'admin-password-1' })
    await built
    server = await runServeServer({ ...o, port: 0, httpPort: 0, pollIntervalMs: 100, console: true, logger: silentLogger() })
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.stop()
    await server?.stop()
    await anvil?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('an admin sees the lists read-only: no add, move, edit or remove, and a note saying why', async () => {
    const http = server.api.replace(/\/api$/, '')
    const page = await browser.context.newPage()
    await page.goto(`${http}/`)
    await page.getByLabel('Username or e-mail').fill('root')
    await page.getByLabel('Password').fill('admin-password-1')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Registered devices' }).waitFor()
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click()
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor()
    const note = page.getByRole('note')
    await note.waitFor()
    expect(await note.textContent()).toMatch(/without a writer key \(serve server --writer-key-file\)\. The list below is read-only\./)
    await page.locator('tr[data-username="root"]').waitFor()
    expect(await page.getByRole('heading', { name: 'Add a user' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /^(Edit|Remove) / }).count()).toBe(0)
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Manage devices' }).click()
    await page.getByRole('heading', { name: 'Manage devices' }).waitFor()
    await page.getByRole('note').waitFor()
    expect(await page.getByRole('heading', { name: 'Add a device' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /^(Move|Remove) / }).count()).toBe(0)
    await page.close()
  })
})
