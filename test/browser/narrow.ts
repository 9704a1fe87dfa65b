import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'

/** Screenshots kept for people to look at (git-ignored). */
const ARTIFACTS = resolve('test/artifacts')

/** The narrow width the console must fit without scrolling sideways (a small laptop window, a tablet). */
export const NARROW = 800

/**
 * Shows `page` at 800 px wide, saves a screenshot as `name`-800.png, and resolves with the
 * document's scrollWidth there (more than 800: something sticks out and the page scrolls
 * sideways); the laptop viewport (1366×768) is restored after.
 */
export async function widthAtNarrow(page: Page, name: string, o: { fullPage?: boolean } = {}): Promise<number> {
  await page.setViewportSize({ width: NARROW, height: 900 })
  try {
    // Read after a frame: the layout of the new width is the one measured and shot.
    const width = await page.evaluate(
      () =>
        new Promise<number>((done) => {
          const g = globalThis as unknown as { requestAnimationFrame(f: () => void): void; document: { documentElement: { scrollWidth: number } } }
          g.requestAnimationFrame(() => done(g.document.documentElement.scrollWidth))
        }),
    )
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${NARROW}.png`), fullPage: o.fullPage ?? true })
    console.log(`${name} at ${NARROW} px: scrollWidth ${width}`)
    return width
  } finally {
    await page.setViewportSize({ width: 1366, height: 768 })
  }
}
