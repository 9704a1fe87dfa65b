// The anomaly ledger's statuses as the console shows them, and how its SSE events change a row.
// pending → included (mined, not final) → anchored (final); quarantined: can never fit a
// transaction. A reorganisation can take an included row back to pending (anomaly-unanchored).

/** An anomaly as GET /api/anomalies lists it, plus what the console learned from events. */
export interface Anomaly {
  id: string
  endpoint: string
  level: number
  data: unknown
  timestamp: string | number
  status?: 'pending' | 'included' | 'anchored' | 'quarantined' | string
  /** Why a quarantined record can never be anchored. */
  error?: string
  /** Block of its batch (included or anchored). */
  block?: string
  /** Of an included row under N-confirmation finality: blocks still to be mined over it before it is final. */
  confirmationsToGo?: number
  txHash?: string
  /** A reorganisation removed its batch before it was final (set by anomaly-unanchored, cleared once final). */
  reorged?: boolean
}

/** The ledger events that change a row's status. */
export const STATUS_EVENTS = ['anomaly-included', 'anomaly-anchored', 'anomaly-unanchored', 'anomaly-quarantined'] as const
export type StatusEvent = (typeof STATUS_EVENTS)[number]

/** The data of a status event, as /api/events sends it. */
export interface StatusEventData {
  ids?: string[]
  block?: string
  txHash?: string
  confirmationsToGo?: number
  reason?: string
}

/** Whether an event type is one of the status events. */
export function isStatusEvent(type: string): type is StatusEvent {
  return (STATUS_EVENTS as readonly string[]).includes(type)
}

/** The row after a status event that names it (rows it does not name are returned as they are). */
export function applyStatusEvent(a: Anomaly, type: StatusEvent, d: StatusEventData): Anomaly {
  if (!d.ids?.includes(a.id)) return a
  const { confirmationsToGo: _toGo, error: _error, ...rest } = a
  switch (type) {
    case 'anomaly-included':
      return { ...rest, status: 'included', block: d.block, txHash: d.txHash, ...(d.confirmationsToGo !== undefined && { confirmationsToGo: d.confirmationsToGo }) }
    case 'anomaly-anchored':
      return { ...rest, status: 'anchored', block: d.block, txHash: d.txHash, reorged: false }
    case 'anomaly-unanchored':
      // Its records are in flight again: the ledger re-sends the very same transaction.
      return { ...rest, status: 'pending', block: undefined, reorged: true }
    case 'anomaly-quarantined':
      return { ...rest, status: 'quarantined', error: d.reason }
  }
}

/**
 * The row once the ledger's highest final block is `finalBlock` (SSE anomaly-confirmations, sent
 * under N-confirmation finality): an included row in block B has B − finalBlock blocks to go.
 */
export function applyFinalBlock(a: Anomaly, finalBlock: string): Anomaly {
  if (a.status !== 'included' || a.block === undefined || !/^\d+$/.test(finalBlock)) return a
  const toGo = Number(BigInt(a.block) - BigInt(finalBlock))
  // At 0 it is final: the anomaly-anchored event that follows says so (and starts the check on chain).
  if (toGo < 1) {
    const { confirmationsToGo: _toGo, ...rest } = a
    return rest
  }
  return toGo === a.confirmationsToGo ? a : { ...a, confirmationsToGo: toGo }
}

