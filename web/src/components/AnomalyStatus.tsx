import type { Anomaly } from '../anomalyStatus.js'

/** What the verification on chain said about a final row (only final rows are checked). */
export type Verdict = 'checking' | 'VALID' | 'INVALID' | 'PENDING' | 'UNKNOWN' | 'error'

/**
 * The "On chain" cell: each ledger status distinctly, and for a final row its verification.
 * Words carry the status (not only colour), so it reads the same to a screen reader.
 */
export function AnomalyStatus({ a, verdict }: { a: Anomaly; verdict?: Verdict }) {
  if (a.status === 'quarantined') {
    return (
      <div class="anchor-status">
        <span class="badge bad" title={a.error}>
          Quarantined
        </span>
        <span class="note">{a.error ? `Never anchored: ${a.error}` : 'Never anchored: too big for any transaction'}</span>
      </div>
    )
  }
  if (a.status === 'included') {
    const toGo = a.confirmationsToGo
    return (
      <div class="anchor-status">
        <span class="badge info">Included</span>
        <span class="note">
          {a.block !== undefined ? `mined in block ${a.block}, ` : 'mined, '}
          {toGo !== undefined ? `${toGo} confirmation${toGo === 1 ? '' : 's'} to go, ` : ''}
          not final{a.reorged ? ' (again, after a reorganisation)' : ''}
        </span>
      </div>
    )
  }
  if (a.status === 'pending' || a.status === undefined) {
    return (
      <div class="anchor-status">
        <span class="badge wait">Pending anchoring</span>
        {a.reorged && <span class="note warn">Removed by a reorganisation; will be re-anchored</span>}
      </div>
    )
  }
  // Anchored: final, so checked on chain.
  return (
    <div class="anchor-status">
      <FinalBadge verdict={verdict} />
      <span class="note">anchored, final{a.block !== undefined ? ` (block ${a.block})` : ''}</span>
    </div>
  )
}

function FinalBadge({ verdict }: { verdict?: Verdict }) {
  if (verdict === 'VALID') return <span class="badge ok">Verified</span>
  if (verdict === 'INVALID') return <span class="badge bad">INVALID</span>
  if (verdict === 'error') return <span class="badge bad">Check failed</span>
  if (verdict === 'UNKNOWN') return <span class="badge wait">Chain unreachable</span>
  // Final here, but the server's check has not seen its batch yet.
  if (verdict === 'PENDING') return <span class="badge wait">Not yet verifiable</span>
  return <span class="badge wait">Checking…</span>
}
