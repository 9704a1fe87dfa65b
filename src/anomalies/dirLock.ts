import { join } from 'node:path'
import { LwchainError } from '../errors/base.js'
import { acquireDirLock, DirLockedError } from '../lock/dirLock.js'

/** Another live process holds the ledger's data directory. */
export class LedgerLockedError extends LwchainError {
  override name = 'LedgerLockedError'
  constructor(dir: string, pid: number) {
    super(`the anomaly ledger in ${dir} is in use by process ${pid}`, { code: 'LWC_LEDGER_LOCKED' })
  }
}

/** The lock directory of a ledger data dir. */
export function ledgerLockPath(dir: string): string {
  return join(dir, 'ledger-lock')
}

/**
 * Takes the ledger's data directory for this process (src/lock/dirLock.ts): two ledgers on one
 * outbox would anchor the same records twice. A dead holder's lock (kill -9) is taken over, by one
 * taker only however many race. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  try {
    const lock = acquireDirLock(ledgerLockPath(dir))
    return () => lock.release()
  } catch (err) {
    if (err instanceof DirLockedError) throw new LedgerLockedError(dir, err.holder?.pid ?? -1)
    throw err
  }
}
