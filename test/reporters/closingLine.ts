import { writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node'

/**
 * Vitest reporter that ends every run with the line CI reads, `tests: N passed, N failed`.
 *
 * Unlike vitest's own JSON report it counts what makes a run fail without failing a test: a test
 * file that cannot load, and every unhandled error or rejection (vitest fails such a run, but its
 * summary still says "0 failed"). Each of these, and every failed test with the first line of its
 * error, is named on its own line before the closing one, so a failed CI run says why. With LWC_TEST_SUMMARY=FILE the counts are also written there as JSON.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    const problems: string[] = []
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') {
          failed++
          const error = test.result().errors?.[0]
          problems.push(`failed: ${relative(process.cwd(), module.moduleId)} > ${test.fullName}: ${firstLine(error?.message ?? '')}`)
        }
        else skipped++
      }
      for (const error of module.errors()) {
        failed++
        problems.push(`test file failed to run: ${module.moduleId}: ${firstLine(error.message)}`)
      }
    }
    for (const error of unhandled) {
      failed++
      problems.push(`unhandled error: ${firstLine(error.message ?? String(error))}`)
    }
    if (reason === 'interrupted') problems.push('the run was interrupted')
    for (const line of problems) process.stdout.write(`${line}\n`)
    process.stdout.write(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
    const file = process.env.LWC_TEST_SUMMARY
    if (file) writeFileSync(file, JSON.stringify({ passed, failed, skipped, problems, reason }))
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? ''
}
