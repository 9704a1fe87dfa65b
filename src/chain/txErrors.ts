/**
 * What a node's answer to a transaction means, read from the error text (nodes disagree on codes
 * but agree closely enough on words: geth, Nethermind, reth, anvil and hosted providers).
 */
export type TxRejection =
  /** The nonce is already used (by this or another transaction). Ambiguous: ours may have landed. */
  | 'nonce-too-low'
  /** The pool already holds this very transaction. */
  | 'already-known'
  /** A transaction with this nonce is pooled and ours does not pay enough more to replace it. */
  | 'underpriced'
  /** The account cannot pay gas × max fee + value. */
  | 'insufficient-funds'
  /** Bigger than the pool's size limit (128 KiB in geth-class nodes): it never entered the pool. */
  | 'oversized'
  /** The fee cap is below the block's base fee (some nodes refuse rather than pool). */
  | 'fee-too-low'
  /** Rate limited (HTTP 429 / -32005): nothing can be concluded about the send. */
  | 'rate-limited'

/** All messages and details down the cause chain, for matching. */
export function errorText(err: unknown): string {
  const parts: string[] = []
  for (let e = err as { message?: string; details?: string; shortMessage?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    parts.push(String((e as { name?: string }).name ?? ''), String(e.message ?? ''), String(e.details ?? ''))
    if (parts.length > 20) break
  }
  return parts.join(' | ')
}

/** Classifies a send error; undefined for anything else (a transport failure, a timeout...). */
export function classifyTxError(err: unknown): TxRejection | undefined {
  const msg = errorText(err)
  if (/oversized data|transaction size.{0,40}(exceed|too large|limit)|tx(n)? too large|exceeds.{0,30}size|payload too large|body.{0,20}too large/i.test(msg)) return 'oversized'
  if (/insufficient funds|balance too low|not enough funds|exceeds the balance of the account|InsufficientFundsError/i.test(msg)) return 'insufficient-funds'
  if (/nonce too low|nonce.{0,20}(lower|too small|already used)|invalid nonce|old nonce/i.test(msg)) return 'nonce-too-low'
  if (/already known|already imported|known transaction|already exists|alreadyknown/i.test(msg)) return 'already-known'
  if (/underpriced|replacement fee too low|fee too low to replace/i.test(msg)) return 'underpriced'
  if (/max fee per gas less than block base fee|fee cap less than block base fee|feecap.{0,20}below|maxFeePerGas.{0,40}(lower|less) than.{0,20}base/i.test(msg)) return 'fee-too-low'
  if (/429|too many requests|rate.?limit|exceeded.{0,30}(capacity|quota)/i.test(msg)) return 'rate-limited'
  return undefined
}
