import { LwchainError } from '../errors/base.js'

/** accept() / list() called on a ledger that is not started (or already stopped). */
export class LedgerNotRunningError extends LwchainError {
  override name = 'LedgerNotRunningError'
  constructor() {
    super('the anomaly ledger is not running', { code: 'LWC_LEDGER_NOT_RUNNING' })
  }
}

/** A transaction was sent but no receipt came within the wait; it stays in flight and is retried. */
export class AnchorTimeoutError extends LwchainError {
  override name = 'AnchorTimeoutError'
  constructor(txHash: string, ms: number) {
    super(`no receipt for anchoring transaction ${txHash} within ${ms} ms`, { code: 'LWC_ANCHOR_TIMEOUT' })
  }
}

/** No AnomalyStore at the configured address on this chain (e.g. a fresh chain without the deployment). */
export class AnomalyStoreMissingError extends LwchainError {
  override name = 'AnomalyStoreMissingError'
  constructor(address: string) {
    super(`no AnomalyStore contract at ${address} on this chain`, { code: 'LWC_ANOMALY_STORE_MISSING' })
  }
}
