import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

/** Debian's chromium (.ci/run installs it); the browser tests skip when it is missing. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Whether the browser tests can run here. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH)
}

/** A headless chromium with a fresh profile, and how to stop it (and delete the profile). */
export interface TestBrowser {
  context: BrowserContext
  stop(): Promise<void>
}

/**
 * Launches /usr/bin/chromium headless with a throw-away --user-data-dir. A persistent context is
 * how playwright takes a user data dir; each page still has its own sessionStorage, so an admin
 * and a user can be signed in side by side in two pages.
 */
export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'lwchain-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    // A laptop screen.
    viewport: { width: 1366, height: 768 },
    timeout: 30_000,
  })
  return {
    context,
    async stop() {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
