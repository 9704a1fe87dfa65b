import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { ledgerLockPath, lockDataDir } from './dirLock.js'

const dir = mkdtempSync(join(tmpdir(), 'lwchain-lock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const TAKER = join(import.meta.dirname, '../../test/helpers/lockTaker.ts')

describe('ledger data dir lock', () => {
  it('refuses a second holder while the first lives, and takes over a dead one’s lock', async () => {
    const release = lockDataDir(dir)
    release()
    // Another process holds the ledger's lock...
    const other = spawn(process.execPath, ['--import', 'tsx', TAKER], { stdio: ['pipe', 'pipe', 'inherit'] })
    const exited = new Promise<void>((resolve) => other.once('exit', () => resolve()))
    const lines = createInterface({ input: other.stdout! })
    const answer = new Promise<string>((resolve) => lines.on('line', (l) => l !== 'ready' && resolve(l)))
    other.stdin!.write(`${ledgerLockPath(dir)}\n`)
    expect(await answer).toMatch(/ won$/)
    try {
      expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ code: 'LWC_LEDGER_LOCKED' }))
    } finally {
      // ...until it dies without releasing (kill -9).
      other.kill('SIGKILL')
      await exited
    }
    const again = lockDataDir(dir)
    again()
  })
})
