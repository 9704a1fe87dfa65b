import { readFileSync } from 'node:fs'

/** One row of the layer table: a layer and what it may import (layers, or single files of one). */
export interface LayerRule {
  /** `commands` for `src/commands/`, `logger.ts` for `src/logger.ts`. */
  readonly layer: string
  /** Layers it may import wholly (`chain`), and single files it may import (`transport/types.ts`). */
  readonly mayImport: readonly string[]
}

/**
 * Reads the table under "## Layers" in docs/DESIGN.md: rows whose first cell is a backticked
 * `src/…` path, whose last cell lists what the layer may import as backticked names (`—` for
 * nothing). The test reads the document itself so that the table and the code cannot drift apart.
 */
export function readLayerTable(designPath: string): LayerRule[] {
  const text = readFileSync(designPath, 'utf8')
  const section = text.split(/^## /m).find((part) => part.startsWith('Layers'))
  if (section === undefined) throw new Error(`${designPath} has no "## Layers" section`)
  const rules: LayerRule[] = []
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim())
    const head = /^`src\/([^`]+?)\/?`$/.exec(cells[0] ?? '')
    if (head === null || cells.length < 3) continue
    const mayImport = [...cells[cells.length - 1].matchAll(/`([^`]+)`/g)].map((m) => m[1])
    rules.push({ layer: head[1], mayImport })
  }
  return rules
}
