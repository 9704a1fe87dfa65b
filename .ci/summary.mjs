// Prints the closing line CI reads, `tests: N passed, N failed`, from vitest's JSON report.
// Exits 1 when the report is missing, a test failed, a suite failed to load, or no test ran.
import { readFileSync } from 'node:fs'

const file = process.argv[2]
let report
try {
  report = JSON.parse(readFileSync(file, 'utf8'))
} catch (err) {
  console.log('tests: 0 passed, 1 failed')
  console.error(`no vitest report at ${file}: ${err.message}`)
  process.exit(1)
}

const passed = report.numPassedTests ?? 0
const failedTests = report.numFailedTests ?? 0
// A test file that fails to import counts no test but is a failure all the same.
const brokenSuites = (report.testResults ?? []).filter(
  (s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0,
)
for (const s of brokenSuites) console.error(`suite failed to run: ${s.name}: ${(s.message ?? '').split('\n')[0]}`)
const failed = failedTests + brokenSuites.length
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)

console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
