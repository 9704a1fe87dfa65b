import { errorText } from './txErrors.js'

export interface GetLogsInChunksParameters<L> {
  fromBlock: bigint
  toBlock: bigint
  /** Blocks per eth_getLogs request to start with (public RPCs cap ranges). Default 5,000. */
  chunkSize?: bigint
  /** Largest span it widens back to after successes. Default 10,000 (the common provider cap). */
  maxChunkSize?: bigint
  /** One eth_getLogs over [from, to]; the caller chooses address, event and topics. */
  fetch: (from: bigint, to: bigint) => Promise<L[]>
  /** Called after each chunk with its logs, in block order; awaited (e.g. to checkpoint progress). */
  onChunk?: (logs: L[], toBlock: bigint) => void | Promise<void>
  /** Rate-limited retries of one chunk before giving up. Default 8. */
  maxRateLimitRetries?: number
  /** Waits (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>
}

/** Why a provider refused an eth_getLogs, with what it suggests. */
export type LogsRefusal =
  | { kind: 'range'; maxBlocks?: bigint }
  | { kind: 'results'; suggestedTo?: bigint }
  | { kind: 'rate'; retryAfterMs?: number }
  | { kind: 'other' }

/**
 * Classifies an eth_getLogs failure the way providers word them: a block-range cap ("exceed
 * maximum block range: 10000", "block range is too wide", "up to a 2K block range"), a result cap
 * ("query returned more than 10000 results. Try with this block range [0x1, 0x2f]", "Log response
 * size exceeded"), or a rate limit (HTTP 429, "Too Many Requests", -32005 "limit exceeded").
 */
export function classifyLogsError(err: unknown): LogsRefusal {
  const msg = errorText(err)
  const suggested = /block range \[(0x[0-9a-f]+|\d+),\s*(0x[0-9a-f]+|\d+)\]/i.exec(msg)
  if (/more than \d+ results|too many (results|logs)|response size (exceeded|is larger)|log response size|returned too many/i.test(msg)) {
    return { kind: 'results', ...(suggested && { suggestedTo: BigInt(suggested[2]) }) }
  }
  if (/block range|range (is )?too (wide|large)|range limit|blocks? range|exceed(s|ed)? (the )?max(imum)? (block )?range|up to a \d+k? block range/i.test(msg)) {
    const m = /(?:range(?: of)?|limit(?:ed)? to|up to a|maximum block range:?|max(?:imum)? range:?)\s*(\d[\d,]*)(k?)/i.exec(msg)
    const n = m ? BigInt(m[1].replace(/,/g, '')) * (m[2] ? 1000n : 1n) : undefined
    return { kind: 'range', ...(n !== undefined && n > 0n && { maxBlocks: n }) }
  }
  const status = statusOf(err)
  if (status === 429 || /429|too many requests|rate.?limit|limit exceeded|exceeded.{0,30}(capacity|quota)|request limit/i.test(msg)) {
    return { kind: 'rate', ...retryAfterOf(err) }
  }
  return { kind: 'other' }
}

/**
 * Fetches logs over a block range chunk by chunk, as hosted providers allow: a range cap sets the
 * span to the cap the provider names (or halves it); a result cap takes the range the provider
 * suggests (or halves); a rate limit waits (Retry-After, else exponential backoff with jitter)
 * and asks again; after a run of successes the span doubles back up to `maxChunkSize`. Another
 * failure over several blocks halves the span (e.g. a body over the client's limit); on a single
 * block it is the caller's (e.g. the RPC is down).
 */
export async function getLogsInChunks<L>(p: GetLogsInChunksParameters<L>): Promise<L[]> {
  const maxSpan = p.maxChunkSize ?? 10_000n
  let span = p.chunkSize ?? 5_000n
  let ceiling = maxSpan
  let successes = 0
  let rateRetries = 0
  const sleep = p.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const all: L[] = []
  for (let from = p.fromBlock; from <= p.toBlock; ) {
    const to = from + span - 1n < p.toBlock ? from + span - 1n : p.toBlock
    let logs: L[]
    try {
      logs = await p.fetch(from, to)
    } catch (err) {
      const why = classifyLogsError(err)
      successes = 0
      if (why.kind === 'rate') {
        if (++rateRetries > (p.maxRateLimitRetries ?? 8)) throw err
        const backoff = Math.min(500 * 2 ** (rateRetries - 1), 30_000)
        await sleep(why.retryAfterMs ?? backoff * (0.5 + Math.random()))
        continue
      }
      if (to === from) throw err
      const width = to - from + 1n
      if (why.kind === 'range') {
        span = why.maxBlocks !== undefined && why.maxBlocks < width ? why.maxBlocks : width / 2n
        // A provider's range cap does not change: never widen past it again.
        ceiling = span
      } else if (why.kind === 'results' && why.suggestedTo !== undefined && why.suggestedTo >= from && why.suggestedTo < to) {
        span = why.suggestedTo - from + 1n
      } else span = width / 2n
      continue
    }
    rateRetries = 0
    await p.onChunk?.(logs, to)
    for (const log of logs) all.push(log)
    from = to + 1n
    // Busy ranges pass: widen again after a run of successes.
    if (++successes >= 3 && span < ceiling) {
      span = span * 2n < ceiling ? span * 2n : ceiling
      successes = 0
    }
  }
  return all
}

function statusOf(err: unknown): number | undefined {
  for (let e = err as { status?: unknown; cause?: unknown } | undefined, i = 0; e && i < 10; e = e.cause as typeof e, i++) {
    if (typeof e.status === 'number') return e.status
  }
  return undefined
}

function retryAfterOf(err: unknown): { retryAfterMs?: number } {
  for (let e = err as { headers?: { get?: (k: string) => string | null }; cause?: unknown } | undefined, i = 0; e && i < 10; e = e.cause as typeof e, i++) {
    const v = e.headers?.get?.('retry-after')
    if (v) {
      const s = Number.parseInt(v, 10)
      if (!Number.isNaN(s)) return { retryAfterMs: s * 1000 }
      const at = Date.parse(v) - Date.now()
      if (at > 0) return { retryAfterMs: at }
    }
  }
  return {}
}
