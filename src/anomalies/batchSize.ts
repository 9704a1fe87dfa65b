import { canonicalJson, type AnomalyRecord } from './record.js'

/**
 * What one anchorBatch transaction may weigh. geth, Nethermind and reth refuse a transaction
 * over 128 KiB in their txpool ("oversized data"); 120 KiB leaves room for the envelope. Gas is
 * capped below EIP-7825's per-transaction limit (2^24) and far below any block gas limit.
 */
export interface BatchLimits {
  /** Signed transaction bytes at most. Default 120 KiB. */
  maxTxBytes: number
  /** Gas per transaction at most (with the 20% margin the signer adds). Default 15,000,000. */
  maxTxGas: bigint
  /** Records per transaction at most (AnomalyStore's MAX_BATCH is 10,000). Default 1,000. */
  maxRecords: number
}

export const DEFAULT_MAX_TX_BYTES = 120 * 1024
export const DEFAULT_MAX_TX_GAS = 15_000_000n
export const DEFAULT_MAX_RECORDS = 1_000
/** The contract refuses more. */
export const CONTRACT_MAX_BATCH = 10_000

/**
 * Bytes of a signed EIP-1559 anchorBatch transaction around its calldata: type, chain id, nonce,
 * two fees, gas, to, value, the data's length prefix, an empty access list and the signature
 * (a test checks it against real signed transactions).
 */
export const TX_ENVELOPE_BYTES = 160
/** Calldata around the encoded records: selector, root, count, offset and length of `records`. */
export const CALL_HEAD_BYTES = 4 + 4 * 32
/** The encoded records array's own head: its offset and length words. */
export const RECORDS_HEAD_BYTES = 64

const pad32 = (n: number): number => Math.ceil(n / 32) * 32

/**
 * What one record adds to the ABI-encoded `records` (tuple[] of id, endpoint, level, collectedAt,
 * data): its offset word, five head words, and three length-prefixed, padded byte strings.
 */
export function encodedRecordBytes(r: AnomalyRecord): number {
  const id = Buffer.byteLength(r.id, 'utf8')
  const ep = Buffer.byteLength(r.endpoint, 'utf8')
  const data = Buffer.byteLength(canonicalJson(r.data), 'utf8')
  return 32 + 5 * 32 + 32 + pad32(id) + 32 + pad32(ep) + 32 + pad32(data)
}

/** Signed transaction bytes of a batch whose records add up to `recordBytes` (see encodedRecordBytes). */
export function txBytesFor(recordBytes: number): number {
  return TX_ENVELOPE_BYTES + CALL_HEAD_BYTES + RECORDS_HEAD_BYTES + recordBytes
}

/** The largest record payload (sum of encodedRecordBytes) a transaction of `maxTxBytes` can carry. */
export function recordBudget(maxTxBytes: number): number {
  return maxTxBytes - TX_ENVELOPE_BYTES - CALL_HEAD_BYTES - RECORDS_HEAD_BYTES
}

/** Bytes of a signed transaction given as hex. */
export function rawTxBytes(raw: string): number {
  return (raw.length - 2) / 2
}
