// Re-renders bench/results.md and the plots from the raw data in bench/results.json (after a change
// to the report's wording, without measuring again).   tsx bench/rerender.ts
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { notes } from './notes.js'
import { type BenchData, writeReport } from './report.js'

const dir = dirname(fileURLToPath(import.meta.url))
const { raw } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { raw: BenchData }
writeReport(dir, raw, notes(raw))
