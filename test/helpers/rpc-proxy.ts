import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import jsSha3 from 'js-sha3'
import type { Hex } from 'viem'

/**
 * A JSON-RPC proxy in front of a real node (anvil) that behaves like a hosted provider in front
 * of a geth txpool, so tests meet what real networks refuse and anvil forgives:
 * - eth_sendRawTransaction over 128 KiB is refused with geth's "oversized data";
 * - eth_getLogs is capped at 10,000 blocks per query and 10,000 results per answer, with the
 *   providers' messages (Infura-style, with a suggested range for the result cap);
 * - HTTP 429 with Retry-After on a schedule, optionally after the request was forwarded (the
 *   node accepted a transaction, the client is told it failed: the ambiguous case);
 * - a chosen transaction is "accepted" (its hash answered) and silently dropped, as a pool evicts.
 * Every answer is counted (requests per method, bytes served) for cold-start figures.
 */

/** What the schedule decides for one request (undefined: pass it through). */
export interface RateLimitDecision {
  /** Seconds in the Retry-After header (0 allowed). */
  retryAfter: number
  /** Forward the request first and answer 429 anyway (the node did the work). */
  afterForward?: boolean
}

/** One request as the schedule and the drop predicate see it. */
export interface ProxiedCall {
  /** 1-based count of JSON-RPC calls so far (all methods). */
  n: number
  /** 1-based count of calls of this method so far. */
  nOfMethod: number
  method: string
  params: unknown[]
}

export interface RpcProxyOptions {
  upstream: string
  /** Largest raw transaction accepted, bytes. Default 128 KiB (geth's txMaxSize). */
  maxTxBytes?: number
  /** Largest eth_getLogs block span. Default 10,000. */
  maxLogBlocks?: number
  /** Most logs in one eth_getLogs answer. Default 10,000. */
  maxLogResults?: number
  /** Decides which calls get a 429. */
  rateLimit?: (call: ProxiedCall) => RateLimitDecision | undefined
}

export interface RpcProxyStats {
  requests: number
  byMethod: Record<string, number>
  /** Response body bytes served, all calls / eth_getLogs only. */
  bytesOut: number
  logBytesOut: number
  rateLimited: number
  oversized: number
  rangeCapped: number
  resultCapped: number
  dropped: Hex[]
  /** Block ranges of the eth_getLogs calls answered, in order. */
  logRanges: { from: bigint; to: bigint }[]
}

export interface RpcProxy {
  url: string
  stats: RpcProxyStats
  /** Replaces the 429 schedule (undefined: none). */
  setRateLimit(fn: RpcProxyOptions['rateLimit']): void
  /**
   * The next raw transaction matching `match` gets its hash answered and is never forwarded; with
   * `times`, that many matches (Infinity: every one, e.g. while a flag the predicate reads is set).
   */
  dropTransaction(match: (tx: { hash: Hex; raw: Hex; call: ProxiedCall }) => boolean, times?: number): void
  /** Resets the counters (not the schedule). */
  resetStats(): void
  close(): Promise<void>
}

interface RpcRequest {
  jsonrpc: '2.0'
  id: number | string | null
  method: string
  params?: unknown[]
}

const freshStats = (): RpcProxyStats => ({
  requests: 0,
  byMethod: {},
  bytesOut: 0,
  logBytesOut: 0,
  rateLimited: 0,
  oversized: 0,
  rangeCapped: 0,
  resultCapped: 0,
  dropped: [],
  logRanges: [],
})

/** Starts the proxy on 127.0.0.1 and a free port. */
export async function startRpcProxy(o: RpcProxyOptions): Promise<RpcProxy> {
  const maxTxBytes = o.maxTxBytes ?? 128 * 1024
  const maxLogBlocks = BigInt(o.maxLogBlocks ?? 10_000)
  const maxLogResults = o.maxLogResults ?? 10_000
  let rateLimit = o.rateLimit
  let n = 0
  const perMethod = new Map<string, number>()
  const drops: { match: (tx: { hash: Hex; raw: Hex; call: ProxiedCall }) => boolean; left: number }[] = []
  const proxy: RpcProxy = {
    url: '',
    stats: freshStats(),
    setRateLimit: (fn) => (rateLimit = fn),
    dropTransaction: (match, times = 1) => drops.push({ match, left: times }),
    resetStats: () => (proxy.stats = freshStats()),
    close: () => new Promise((res) => server.close(() => res())),
  }

  const upstream = async (body: unknown): Promise<unknown> => {
    const r = await fetch(o.upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return r.json()
  }
  const blockNumberOf = async (tag: unknown): Promise<bigint> => {
    if (typeof tag === 'string' && /^0x[0-9a-f]+$/i.test(tag)) return BigInt(tag)
    if (tag === 'earliest') return 0n
    const r = (await upstream({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: [tag ?? 'latest', false] })) as { result?: { number: Hex } }
    return BigInt(r.result?.number ?? 0)
  }
  const error = (id: RpcRequest['id'], code: number, message: string) => ({ jsonrpc: '2.0', id, error: { code, message } })

  /** One call: undefined means "answer 429 for the whole HTTP request". */
  const handle = async (req: RpcRequest, call: ProxiedCall): Promise<unknown> => {
    const params = req.params ?? []
    if (req.method === 'eth_sendRawTransaction') {
      const raw = params[0] as Hex
      const size = (raw.length - 2) / 2
      if (size > maxTxBytes) {
        proxy.stats.oversized++
        return error(req.id, -32000, `oversized data: transaction size ${size}, limit ${maxTxBytes}`)
      }
      // js-sha3, not viem's keccak256: a 120 KiB transaction per call, in the benchmark's own process.
      const hash: Hex = `0x${jsSha3.keccak256(Buffer.from(raw.slice(2), 'hex'))}`
      const i = drops.findIndex((d) => d.match({ hash, raw, call }))
      if (i >= 0) {
        if (--drops[i].left <= 0) drops.splice(i, 1)
        proxy.stats.dropped.push(hash)
        return { jsonrpc: '2.0', id: req.id, result: hash }
      }
    }
    if (req.method === 'eth_getLogs') {
      const f = (params[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string }
      if (!f.blockHash) {
        const from = await blockNumberOf(f.fromBlock ?? 'latest')
        const to = await blockNumberOf(f.toBlock ?? 'latest')
        if (to >= from && to - from + 1n > maxLogBlocks) {
          proxy.stats.rangeCapped++
          return error(req.id, -32600, `exceed maximum block range: ${maxLogBlocks}`)
        }
      }
      if (!f.blockHash) proxy.stats.logRanges.push({ from: await blockNumberOf(f.fromBlock ?? 'latest'), to: await blockNumberOf(f.toBlock ?? 'latest') })
      const answer = (await upstream(req)) as { result?: { blockNumber: Hex }[] }
      if (Array.isArray(answer.result) && answer.result.length > maxLogResults) {
        proxy.stats.resultCapped++
        const from = f.fromBlock ?? 'latest'
        // The block of the last log that still fits, as Infura suggests it.
        const last = answer.result[maxLogResults - 1].blockNumber
        return error(req.id, -32005, `query returned more than ${maxLogResults} results. Try with this block range [${from}, ${last}].`)
      }
      return answer
    }
    return upstream(req)
  }

  const serve = async (httpReq: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const c of httpReq) chunks.push(c as Buffer)
    let body: RpcRequest | RpcRequest[]
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RpcRequest | RpcRequest[]
    } catch {
      res.writeHead(400).end()
      return
    }
    const reqs = Array.isArray(body) ? body : [body]
    const calls = reqs.map((r) => {
      n++
      const k = (perMethod.get(r.method) ?? 0) + 1
      perMethod.set(r.method, k)
      proxy.stats.requests++
      proxy.stats.byMethod[r.method] = (proxy.stats.byMethod[r.method] ?? 0) + 1
      return { n, nOfMethod: k, method: r.method, params: r.params ?? [] }
    })
    let limited: RateLimitDecision | undefined
    for (const c of calls) limited ??= rateLimit?.(c)
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(payload)
      const bytes = Buffer.byteLength(text)
      proxy.stats.bytesOut += bytes
      if (calls.some((c) => c.method === 'eth_getLogs')) proxy.stats.logBytesOut += bytes
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text)
    }
    const tooMany = (): void => {
      proxy.stats.rateLimited++
      const payload = reqs.map((r) => error(r.id, 429, 'Too Many Requests: rate limit exceeded'))
      send(429, Array.isArray(body) ? payload : payload[0], { 'retry-after': String(limited!.retryAfter) })
    }
    if (limited && !limited.afterForward) return tooMany()
    const answers = await Promise.all(reqs.map((r, i) => handle(r, calls[i])))
    if (limited) return tooMany()
    send(200, Array.isArray(body) ? answers : answers[0])
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(String(err))
    })
  })
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()))
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return proxy
}

/** A schedule: every `every`-th call of `methods` (all when omitted) gets a 429 with `retryAfter` seconds. */
export function every(everyN: number, opts: { methods?: string[]; retryAfter?: number; afterForward?: boolean } = {}): NonNullable<RpcProxyOptions['rateLimit']> {
  return (c) => {
    if (opts.methods && !opts.methods.includes(c.method)) return undefined
    const k = opts.methods ? c.nOfMethod : c.n
    return k % everyN === 0 ? { retryAfter: opts.retryAfter ?? 0, afterForward: opts.afterForward } : undefined
  }
}
