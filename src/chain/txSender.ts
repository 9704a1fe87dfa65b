import { signTransactionFast } from './signTransactionFast.js'
import type { Address, Hash, Hex, TransactionReceipt } from 'viem'
import type { Logger } from '../logger.js'
import type { ChainConnection } from './connectChain.js'
import { SignerRequiredError } from './errors.js'
import { feePolicyOf, initialFees, InsufficientFundsError, replacementFees, stuckOnFees, type FeePolicy, type Fees } from './fees.js'
import { isUnreachable, toChainError } from './toChainError.js'
import { classifyTxError } from './txErrors.js'
import { LwchainError } from '../errors/base.js'

/** One signed transaction of a write: its nonce, hash, bytes and fees. */
export interface TxAttempt {
  nonce: number
  hash: Hash
  raw: Hex
  fees: Fees
  /** Head block when it was (last) broadcast, to tell when it is stuck. */
  sentAt: bigint
}

/** A write and every transaction signed for it (replacements, re-signs at a fresh nonce). */
export interface JournaledWrite {
  to: Address
  data: Hex
  gas: bigint
  attempts: TxAttempt[]
}

/** What became of a write. `landed`: a receipt of one of its hashes, success, verified. */
export type WriteOutcome =
  | { status: 'landed'; hash: Hash; receipt: TransactionReceipt }
  | { status: 'failed'; error: LwchainError; hash?: Hash }

export interface TxSenderOptions {
  fees?: Partial<FeePolicy>
  /** How long settle() waits for a write to be mined. Default 5 min. */
  settleTimeoutMs?: number
  logger?: Logger
}

/** No transaction of the write was mined within the wait; it may still land (re-run to reconcile). */
export class WriteUnsettledError extends LwchainError {
  override name = 'WriteUnsettledError'
  constructor(hash: Hash, ms: number) {
    super(`transaction ${hash} was not mined within ${Math.round(ms / 1000)} s; it may still land: run again to reconcile`, { code: 'LWC_TX_UNSETTLED' })
  }
}

/**
 * Sends writes with nonces counted here, one at a time in nonce order, and journals every hash
 * signed for a nonce. After any ambiguous failure (a timeout, a 429 after the node accepted,
 * "nonce too low") it re-reads the nonce from the node instead of guessing. settle() then
 * resolves a write by the receipts of its own hashes only, verified by the caller (status and
 * logs), re-broadcasting a transaction the pool dropped and replacing one stuck for K blocks.
 */
export function createTxSender(conn: ChainConnection, o: TxSenderOptions = {}) {
  if (!conn.account) throw new SignerRequiredError()
  const account = conn.account
  const client = conn.publicClient
  const policy = feePolicyOf(o.fees)
  const settleTimeoutMs = o.settleTimeoutMs ?? 300_000
  let next: number | undefined
  let queue: Promise<unknown> = Promise.resolve()

  const nonceAt = (blockTag: 'pending' | 'latest'): Promise<number> => client.getTransactionCount({ address: account.address, blockTag })
  const head = (): Promise<bigint> => client.getBlockNumber({ cacheTime: 0 })
  const sign = async (w: JournaledWrite, nonce: number, fees: Fees): Promise<TxAttempt> => {
    const { raw, hash } = await signTransactionFast(account, { chainId: conn.chainId, to: w.to, data: w.data, gas: w.gas, nonce, ...fees })
    return { nonce, hash, raw, fees, sentAt: 0n }
  }
  /** The receipt of `hash`; undefined only when the node says it has none (other errors throw). */
  const receiptOf = (hash: Hash): Promise<TransactionReceipt | undefined> =>
    client.getTransactionReceipt({ hash }).catch((err: unknown) => {
      if ((err as { name?: string }).name === 'TransactionReceiptNotFoundError') return undefined
      throw err
    })
  /** Whether the node knows `hash`; an RPC error throws (the caller asks again) instead of counting as "no". */
  const knownForSure = async (hash: Hash): Promise<boolean> =>
    client.getTransaction({ hash }).then(
      () => true,
      (err: unknown) => {
        if ((err as { name?: string }).name === 'TransactionNotFoundError') return false
        throw err
      },
    )
  /** The same where an unreadable answer may count as "no" (the caller re-checks later). */
  const known = (hash: Hash): Promise<boolean> => knownForSure(hash).catch(() => false)
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

  /** Broadcasts; resolves true when the node holds it, false when it provably does not, throws for fatal refusals. */
  const broadcast = async (a: TxAttempt): Promise<boolean> => {
    // The first broadcast only: a re-broadcast of the same bytes (a pool that evicted them) does
    // not make the transaction any less stuck.
    if (a.sentAt === 0n) a.sentAt = await head().catch(() => 0n)
    try {
      await client.sendRawTransaction({ serializedTransaction: a.raw })
      return true
    } catch (err) {
      const kind = classifyTxError(err)
      if (kind === 'already-known') return true
      if (kind === 'insufficient-funds') throw new InsufficientFundsError(account.address)
      if (kind === 'oversized') throw toChainError(err, { rpcUrl: conn.rpcUrl })
      // The node answered with a refusal of its own ("intrinsic gas too low"...): not pooled, final.
      if (kind === undefined && !isUnreachable(err)) throw toChainError(err, { rpcUrl: conn.rpcUrl })
      // Ambiguous: the node may hold it (a 429 or a timeout after it was accepted).
      if (await known(a.hash)) return true
      o.logger?.debug({ hash: a.hash, nonce: a.nonce, kind }, 'send failed; re-reading the nonce')
      return false
    }
  }

  /** Sends a new write; resolves once one of its transactions is in the node's pool. */
  const send = (w: Omit<JournaledWrite, 'attempts'>): Promise<JournaledWrite> => {
    const run = queue.then(async () => {
      const write: JournaledWrite = { ...w, attempts: [] }
      let lastError: unknown
      for (let attempt = 0; attempt < 8; attempt++) {
        try {
          next ??= await nonceAt('pending')
          const nonce = next
          const a = await sign(write, nonce, await initialFees(client, policy))
          write.attempts.push(a)
          if (await broadcast(a)) {
            next = nonce + 1
            return write
          }
          // Not in the pool. Whose is this nonce? Only the node can say.
          const pending = await nonceAt('pending')
          if (pending > nonce) {
            // Taken by a transaction not ours (another process with this key): never reuse it.
            next = pending
          }
          // pending <= nonce: ours were refused or lost; try the same nonce again (an earlier one of
          // ours missing from the pool is re-broadcast by settle(), so no gap is filled with this).
        } catch (err) {
          if (err instanceof InsufficientFundsError) throw err
          if (err instanceof LwchainError && err.code !== 'LWC_CHAIN_UNREACHABLE') throw err
          lastError = err
          next = undefined
        }
        await pause(Math.min(200 * 2 ** attempt, 5_000) * (0.5 + Math.random()))
      }
      // Signed and possibly pooled (an answer we could not read): settle() tells from the chain
      // whether one of them landed, rather than this call guessing that none did.
      if (write.attempts.length > 0) return write
      throw toChainError(lastError ?? new Error('the node refused the transaction'), { rpcUrl: conn.rpcUrl })
    })
    queue = run.catch(() => undefined)
    return run
  }

  /**
   * Waits until one transaction of the write is mined, or every one of them provably cannot be:
   * `verify` checks a success receipt (e.g. that its logs hold what the write meant) and returns
   * an error when they do not. A dropped transaction is re-broadcast; one stuck for
   * `bumpAfterBlocks` blocks is replaced at +12.5% (within the fee cap).
   */
  const settle = async (w: JournaledWrite, verify: (r: TransactionReceipt) => LwchainError | undefined): Promise<WriteOutcome> => {
    const deadline = Date.now() + settleTimeoutMs
    let lastRevert: WriteOutcome | undefined
    // Looks at 10, 20, 40 and 80 ms ask for receipts only: the embedded chain mines a lone
    // transaction within milliseconds of its arrival (a first look at 100 ms made every
    // `client add` take 118 ms instead of 7). Nonces, pool and head matter once a write is late.
    for (let delay = 10; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        for (const a of w.attempts) {
          const r = await receiptOf(a.hash)
          if (!r || r.transactionHash.toLowerCase() !== a.hash.toLowerCase()) continue
          if (r.status !== 'success') {
            lastRevert = { status: 'failed', hash: a.hash, error: toChainError(new Error(`transaction ${a.hash} reverted`), { rpcUrl: conn.rpcUrl }) }
            continue
          }
          const bad = verify(r)
          if (bad) return { status: 'failed', hash: a.hash, error: bad }
          return { status: 'landed', hash: a.hash, receipt: r }
        }
        if (delay < 100 && !lastRevert) {
          await pause(delay)
          continue
        }
        const mined = await nonceAt('latest')
        const open = w.attempts.filter((a) => a.nonce >= mined)
        if (open.length === 0) {
          // Every nonce of this write is used, and no receipt of ours: replaced by another
          // transaction (or a receipt the RPC does not have yet; ask once more before concluding).
          if (lastRevert) return lastRevert
          await pause(delay)
          // Only "not found" counts as no receipt: a timed-out or refused lookup (a loaded node)
          // throws, and the loop asks again, instead of calling a landed write lost.
          const again = await Promise.all(w.attempts.map((a) => receiptOf(a.hash)))
          // A node that still knows one of our transactions (pooled or mined) has not given its
          // nonce to another: seen on anvil under load, whose 'latest' count ran ahead of the
          // receipts, so a batch that landed in block 59 was reported lost. Wait for it instead.
          const stillOurs = again.every((r) => !r) && (await Promise.all(w.attempts.map((a) => knownForSure(a.hash)))).some(Boolean)
          if (again.every((r) => !r) && !stillOurs) {
            const last = w.attempts[w.attempts.length - 1]
            return { status: 'failed', hash: last.hash, error: toChainError(new Error(`nonce ${last.nonce} was used by another transaction; this write did not land`)) }
          }
          continue
        }
        const top = open[open.length - 1]
        const pooled = await known(top.hash)
        const now = await head()
        const base = now >= top.sentAt + BigInt(policy.bumpAfterBlocks) ? ((await client.getBlock({ blockTag: 'latest' })).baseFeePerGas ?? 0n) : undefined
        const stuck = base !== undefined && stuckOnFees({ nonce: top.nonce, maxFeePerGas: top.fees.maxFeePerGas, pooled }, { nonce: mined, baseFee: base })
        if (stuck) {
          const fees = replacementFees(top.fees, base, policy)
          if (fees) {
            const a = await sign(w, top.nonce, fees)
            w.attempts.push(a)
            if (await broadcast(a)) o.logger?.info({ nonce: a.nonce, hash: a.hash, maxFeePerGas: fees.maxFeePerGas.toString() }, 'replaced a stuck transaction with higher fees')
            else w.attempts.pop()
          } else top.sentAt = now // at the cap: wait with what we have
        } else if (!pooled) {
          o.logger?.info({ hash: top.hash, nonce: top.nonce }, 'a sent transaction left the pool; broadcasting it again')
          await broadcast(top)
        }
      } catch (err) {
        if (err instanceof InsufficientFundsError) return { status: 'failed', error: err, hash: w.attempts.at(-1)?.hash }
        // An RPC hiccup: keep waiting within the deadline.
      }
      if (Date.now() > deadline) return { status: 'failed', hash: w.attempts.at(-1)?.hash, error: new WriteUnsettledError(w.attempts.at(-1)!.hash, settleTimeoutMs) }
      await pause(delay)
    }
  }

  return { send, settle, address: account.address }
}

export type TxSender = ReturnType<typeof createTxSender>
