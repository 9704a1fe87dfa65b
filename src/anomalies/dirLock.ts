import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LwchainError } from '../errors/base.js'

/** Another live process holds the ledger's data directory. */
export class LedgerLockedError extends LwchainError {
  override name = 'LedgerLockedError'
  constructor(dir: string, pid: number) {
    super(`the anomaly ledger in ${dir} is in use by process ${pid}`, { code: 'LWC_LEDGER_LOCKED' })
  }
}

/**
 * Takes `<dir>/ledger.lock` for this process: two ledgers on one outbox would anchor the same
 * records twice. A lock left by a dead process (kill -9) is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, 'ledger.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 })
      return () => rmSync(path, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number(readFileSync(path, 'utf8').trim())
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new LedgerLockedError(dir, pid)
      rmSync(path, { force: true })
    }
  }
  throw new LedgerLockedError(dir, -1)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
