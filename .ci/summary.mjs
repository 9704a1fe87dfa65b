// Prints the closing line CI reads, `tests: N passed, N failed`, over the suite's runs (one
// summary file per Node version, written by test/reporters/closingLine.ts) and the package check
// (its exit status, counted as one check). Exits 1 when a run is missing, anything failed, or no
// test ran.
import { readFileSync } from 'node:fs'

const [packStatus, ...files] = [process.argv.at(-1), ...process.argv.slice(2, -1)]
let passed = 0
let failed = 0
let skipped = 0
for (const file of files) {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8'))
    console.log(`${file}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`)
    for (const p of s.problems ?? []) console.log(`  ${p}`)
    passed += s.passed
    failed += s.failed
    skipped += s.skipped
  } catch (err) {
    console.error(`no test summary at ${file}: ${err.message}`)
    failed += 1
  }
}
if (packStatus === '0') passed += 1
else {
  console.error('the packed package did not install or start')
  failed += 1
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
