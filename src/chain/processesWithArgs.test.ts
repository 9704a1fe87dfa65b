import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { processesWithArgs } from './processesWithArgs.js'

describe('processesWithArgs', () => {
  it('finds a process by a run of its arguments, and not by the same words apart', async () => {
    const marker = `lwchain-test-${process.pid}-${Date.now()}`
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', '--', '--state', marker], { stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve())
        child.once('error', reject)
      })
      expect(processesWithArgs(['--state', marker])).toEqual([child.pid])
      expect(processesWithArgs([marker, '--state'])).toEqual([])
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    expect(processesWithArgs(['--state', marker])).toEqual([])
  })
})
