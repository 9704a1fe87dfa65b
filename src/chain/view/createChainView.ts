import type { Address, Hex, PublicClient } from 'viem'
import type { Logger } from '../../logger.js'
import { emailHash, legacyEmailHash } from '../hashes.js'
import { clientStoreAbi } from '../generated/contracts.js'
import { SealingKeyRing } from '../keys/keyRing.js'
import { WrongChainError } from '../errors.js'
import { LwchainError } from '../../errors/base.js'
import { createPollLoop } from '../pollLoop.js'
import { subscribeToHeads, type HeadSubscription } from './headSubscription.js'
import { readViewSnapshot, writeViewSnapshot, type ViewSnapshot } from './cursorFile.js'
import { openOpenedSecrets, sealOpenedSecrets } from './openedSecrets.js'
import type { StoreEvent } from './events.js'
import { fetchStoreEvents } from './fetchStoreEvents.js'
import type { ClientByIdentity, ClientEntry, ClientView, UserEntry, UserView, ViewChange, ViewLag } from './types.js'
import { ViewState, type KeyedUnsealer, type ViewUndo } from './viewState.js'
import type { SealingPool } from '../sealingPool.js'
import { createPrefetchingUnsealer, PREFETCH_SLICE, sealedOfEntries, sealedOfEvents, yieldToLoop, type PrefetchingUnsealer } from './prefetchingUnsealer.js'

/** Recent blocks remembered (their hashes, and the undo of their events) to roll a reorg back. */
const RECENT_BLOCKS = 256n

export interface CreateChainViewOptions {
  publicClient: PublicClient
  addresses: { clientStore: Address; userStore: Address }
  deployBlock: bigint | number | string
  /** With it, lookups return unsealed PSKs, e-mails and password verifiers (kept in memory only). */
  sealingPrivateKey?: Uint8Array
  /**
   * Instead of one key: every key of the profile (current, pending, retiring), so the view follows
   * a `keys rotate` without a restart: it switches to the new key at SealingKeyChanged and forgets
   * the old one once every record it holds opens with the new key.
   */
  sealingKeys?: SealingKeyRing
  /**
   * Opens sealed values in this pool's worker threads, a batch (a chunk of events, the snapshot)
   * at a time, instead of on the event loop: two opens per client, 200,000 at a 100k-client cold
   * start. Without it (or without a sealing key) everything opens inline.
   */
  sealingPool?: Pick<SealingPool, 'openMany'>
  /** The deployment's e-mail key: userByEmail looks up the keyed hash (and the legacy plain one, for records not migrated yet). */
  emailKey?: Uint8Array | (() => Uint8Array | undefined)
  /** Where to persist cursor + snapshot so a restart resumes instead of rescanning. */
  cursorFile?: string
  /** Poll period for new blocks while no head subscription is up. Default 1,000 ms. */
  pollIntervalMs?: number
  /**
   * ws:// URL offering eth_subscribe("newHeads"): each announced block triggers a sync round at
   * once, so the view follows the chain at block speed; polling is the fallback while the
   * subscription is down (never subscribed, refused, or cut).
   */
  headsUrl?: string
  /** Poll period while the subscription is up (a safety net for a silently stalled socket). Default 10 × pollIntervalMs, at least 10 s. */
  pollWhileSubscribedMs?: number
  /** Blocks per eth_getLogs request. Default 5,000. */
  chunkSize?: bigint
  /** During a cold start (no snapshot), a checkpoint snapshot is written this often, so a restart resumes. Default 10 s. */
  checkpointMs?: number
  /**
   * A changed state is written as the snapshot at most this often while running (always at
   * stop). Default 30 s: at 100,000 clients a snapshot is ~60 MB of JSON, a second of the loop,
   * and the snapshot is only a head start (a restart replays the events after its cursor).
   */
  snapshotIntervalMs?: number
  /** A chain serving another id is reported as an error (lag), never applied. */
  expectedChainId?: number
  /** Used only to redact messages. */
  rpcUrl?: string
  logger?: Logger
}

/**
 * An in-memory view of ClientStore and UserStore, kept current from events. Every lookup is
 * synchronous and answered from memory, so a DTLS handshake never waits for the RPC; when the
 * RPC is down the view keeps serving what it had and reports its lag.
 */
export interface ChainView {
  /** Loads the snapshot (if any) and syncs once; fails only if neither gives a state. Then polls. */
  start(): Promise<void>
  /** Stops polling and persists the cursor. */
  stop(): Promise<void>
  /** Runs one sync round now (also what the poller runs). Rejects on RPC failure. */
  syncNow(): Promise<void>
  /** Resolves once the view has applied every block up to `block` (e.g. a write's receipt block). */
  waitForBlock(block: bigint | number, timeoutMs?: number): Promise<void>
  clientByEndpoint(endpoint: string): ClientView | undefined
  clientByIdentity(identity: string): ClientByIdentity | undefined
  /**
   * The PSK a DTLS server of the given role should use for `identity` (the daemons' PSK callback):
   * defined only when that client's identity for this role is `identity` and the key is unsealed.
   */
  pskFor(identity: string, role: 'bootstrap' | 'server'): { endpoint: string; key: Uint8Array } | undefined
  userByUsername(username: string): UserView | undefined
  userByEmail(email: string): UserView | undefined
  clients(): ClientView[]
  users(): UserView[]
  lag(): ViewLag
  /** Calls `listener` for every applied change; returns the unsubscribe function. */
  subscribe(listener: (change: ViewChange) => void): () => void
}

/** Creates a ChainView (call start()). */
export function createChainView(options: CreateChainViewOptions): ChainView {
  const { publicClient, addresses, logger } = options
  const deployBlock = BigInt(options.deployBlock)
  const ring = options.sealingKeys ?? (options.sealingPrivateKey ? new SealingKeyRing(options.sealingPrivateKey, [], undefined, logger) : undefined)
  const prefetching: PrefetchingUnsealer | undefined = ring && options.sealingPool ? createPrefetchingUnsealer(ring, options.sealingPool, logger) : undefined
  const unseal = prefetching ?? (ring ? makeUnsealer(ring, logger) : undefined)
  /**
   * Applies a batch of events with their sealed values opened in the pool first (when there is
   * one), a slice at a time with the loop free in between (a lookup meanwhile sees a prefix of
   * the chain's history, as it would a block earlier).
   */
  const applyOpened = async (target: ViewState, events: StoreEvent[], notify: boolean, o: { starting?: boolean } = {}): Promise<void> => {
    if (!prefetching) return applyAll(target, events, notify)
    for (let i = 0; i < events.length; i += PREFETCH_SLICE) {
      if (i > 0) await yieldToLoop()
      const slice = events.length <= PREFETCH_SLICE ? events : events.slice(i, i + PREFETCH_SLICE)
      await prefetching.prefetch(sealedOfEvents(slice), { shareInline: o.starting })
      try {
        applyAll(target, slice, notify)
      } finally {
        prefetching.clear()
      }
    }
  }
  /**
   * Restores a snapshot's entries a slice at a time: their secrets from the snapshot's
   * opened-secrets block when it opens with a key of the ring, otherwise each sealed value opened
   * in the pool (inline at once without one).
   */
  const restoreOpened = async (snapshot: ViewSnapshot): Promise<void> => {
    if (!prefetching) return state.restore(snapshot)
    // Every sealed value of the snapshot, in the order the parts below take them.
    const refs = sealedOfEntries(snapshot)
    const block = ring && snapshot.opened ? openOpenedSecrets(snapshot.opened, refs, ring.openingKeys()) : undefined
    if (snapshot.opened && !block) logger?.info('the snapshot\'s opened secrets do not open with this key ring: opening every sealed value')
    let offset = 0
    const parts = [
      ...sliced(snapshot.clients).map((clients) => ({ clients, users: [] })),
      ...sliced(snapshot.users).map((users) => ({ clients: [], users })),
    ]
    for (const [n, part] of parts.entries()) {
      if (n > 0) await yieldToLoop()
      const count = 2 * (part.clients.length + part.users.length) // two sealed values per record
      const partRefs = refs.slice(offset, offset + count)
      if (block) prefetching.preload(partRefs, block.values.slice(offset, offset + count), block.publicKey)
      else await prefetching.prefetch(partRefs, { shareInline: true }) // at start: nothing is served yet
      offset += count
      try {
        state.restore(part)
      } finally {
        prefetching.clear()
      }
    }
  }
  const listeners = new Set<(c: ViewChange) => void>()

  let state = new ViewState(unseal)
  // hash is unknown after a partial multi-chunk round; the next round looks it up.
  let cursor: { block: bigint; hash?: Hex } | undefined
  let lastSeenHead: bigint | undefined
  let chainId: number | undefined
  let dirty = false
  const waiters: { block: bigint; resolve: () => void }[] = []
  // Hashes of recent blocks this view applied up to (one per round's head), newest last, and the
  // undo of every event of those blocks: a reorg rolls back to the fork point only.
  let recent: { block: bigint; hash: Hex }[] = []
  let undoLog: { block: bigint; undo: ViewUndo }[] = []
  const remember = (block: bigint, hash: Hex): void => {
    if (recent.at(-1)?.block === block) recent.pop()
    recent.push({ block, hash })
    const keepFrom = block - RECENT_BLOCKS
    if (recent.length > 0 && recent[0].block < keepFrom) recent = recent.filter((r) => r.block >= keepFrom)
    if (undoLog.length > 0 && undoLog[0].block < keepFrom) undoLog = undoLog.filter((u) => u.block >= keepFrom)
  }
  /** Undoes every event above `fork`, newest first, telling subscribers. */
  const rollBackTo = (fork: bigint): void => {
    while (undoLog.length > 0 && undoLog[undoLog.length - 1].block > fork) emit(state.undo(undoLog.pop()!.undo))
    recent = recent.filter((r) => r.block <= fork)
    dirty = true
  }
  /** The newest remembered block still on the chain (undefined: none, reload everything). */
  const forkPoint = async (below: bigint): Promise<{ block: bigint; hash: Hex } | undefined> => {
    for (let i = recent.length - 1; i >= 0; i--) {
      const r = recent[i]
      if (r.block > below) continue
      const b = await publicClient.getBlock({ blockNumber: r.block }).catch(() => undefined)
      if (b?.hash === r.hash) return r
    }
    return undefined
  }

  const emit = (change: ViewChange | undefined): void => {
    if (!change) return
    for (const l of listeners) {
      try {
        l(change)
      } catch (err) {
        logger?.warn({ err }, 'chain view listener failed')
      }
    }
  }

  const applyAll = (target: ViewState, events: StoreEvent[], notify: boolean): void => {
    for (const ev of events) {
      // In chain order: records after the change are sealed to the new key, so it must be in use first.
      if (ev.type === 'SealingKeyChanged') ring?.adopt(ev.publicKey, { quiet: !notify })
      if (notify) {
        const undo = target.undoOf(ev)
        if (undo) undoLog.push({ block: ev.block, undo })
      }
      const change = target.apply(ev)
      if (notify) emit(change)
    }
  }

  const releaseWaiters = (): void => {
    if (!cursor) return
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].block <= cursor.block) {
        waiters[i].resolve()
        waiters.splice(i, 1)
      }
    }
  }

  /** Writes `target` as the snapshot at `at` (secrets sealed only). */
  const writeSnapshot = (target: ViewState, at: { block: bigint; hash: Hex }): boolean => {
    if (!options.cursorFile || chainId === undefined) return false
    const entries = target.entries()
    const snapshot: ViewSnapshot = {
      format: 1,
      chainId,
      clientStore: addresses.clientStore,
      userStore: addresses.userStore,
      deployBlock: deployBlock.toString(),
      cursor: { block: at.block.toString(), hash: at.hash },
      ...entries,
      // During a rotation a record's values may have opened with different keys: no block then.
      ...(ring && ring.size() === 1 && { opened: sealOpenedSecrets(sealedOfEntries(entries), target.openedValues(), ring.openingKeys()[0]) }),
    }
    try {
      writeViewSnapshot(options.cursorFile, snapshot)
      return true
    } catch (err) {
      logger?.warn({ err: (err as Error).message }, 'cannot persist the chain view cursor')
      return false
    }
  }

  let persistedAt = 0
  const persist = (o: { now?: boolean } = {}): void => {
    if (!cursor?.hash || !dirty) return
    if (!o.now && Date.now() - persistedAt < (options.snapshotIntervalMs ?? 30_000)) return
    if (writeSnapshot(state, { block: cursor.block, hash: cursor.hash })) {
      dirty = false
      persistedAt = Date.now()
    }
  }

  const loadSnapshot = async (): Promise<boolean> => {
    if (!options.cursorFile) return false
    const s = readViewSnapshot(options.cursorFile)
    const same =
      s &&
      s.clientStore.toLowerCase() === addresses.clientStore.toLowerCase() &&
      s.userStore.toLowerCase() === addresses.userStore.toLowerCase() &&
      s.deployBlock === deployBlock.toString()
    if (!s || !same) return false
    await restoreOpened(s)
    cursor = { block: BigInt(s.cursor.block), hash: s.cursor.hash }
    remember(cursor.block, s.cursor.hash)
    chainId = s.chainId
    logger?.info({ block: s.cursor.block, clients: s.clients.length, users: s.users.length }, 'chain view resumed from cursor')
    return true
  }

  /** Reloads everything into a fresh state and swaps it in; the old state serves meanwhile. */
  const reload = async (head: { number: bigint; hash: Hex }): Promise<void> => {
    const fresh = new ViewState(unseal)
    // A cold start (nothing to serve meanwhile) fills the state in place and checkpoints it, so
    // an interrupted first load of a long history resumes where it stopped.
    const cold = cursor === undefined
    let lastCheckpoint = Date.now()
    await fetchStoreEvents(publicClient, {
      ...addresses,
      fromBlock: deployBlock,
      toBlock: head.number,
      chunkSize: options.chunkSize,
      onChunk: async (chunk, to) => {
        await applyOpened(fresh, chunk, false, { starting: cold })
        if (!cold || !options.cursorFile || Date.now() - lastCheckpoint < (options.checkpointMs ?? 10_000) || to === head.number) return
        const at = await publicClient.getBlock({ blockNumber: to })
        if (at.hash) writeSnapshot(fresh, { block: to, hash: at.hash })
        lastCheckpoint = Date.now()
      },
    })
    const hadState = cursor !== undefined
    const old = state
    state = fresh
    cursor = { block: head.number, hash: head.hash }
    recent = []
    undoLog = []
    remember(head.number, head.hash)
    dirty = true
    if (!hadState) return
    // Subscribers see what the reload changed, record by record, then the reset itself.
    for (const change of diffStates(old, fresh)) emit(change)
    emit({ kind: 'reset' })
  }

  let keyChecked = false
  const syncRound = async (): Promise<void> => {
    // Every round trip counts here: a revocation waits for this round. The chain id and the head
    // are asked for at once.
    const askId = chainId === undefined || options.expectedChainId !== undefined
    const [id, head] = await Promise.all([askId ? publicClient.getChainId() : Promise.resolve(chainId!), publicClient.getBlock({ blockTag: 'latest' })])
    if (options.expectedChainId !== undefined && id !== options.expectedChainId) throw new WrongChainError(options.expectedChainId, id)
    chainId = id
    if (ring && !keyChecked) {
      // A snapshot may resume past the last SealingKeyChanged: the contract says which key is current.
      const current = (await publicClient.readContract({ address: addresses.clientStore, abi: clientStoreAbi, functionName: 'sealingPublicKey' })) as Hex
      ring.adopt(current)
      keyChecked = true
    }
    if (head.number === null || head.hash === null) return
    lastSeenHead = head.number
    if (!cursor) {
      await reload({ number: head.number, hash: head.hash })
      return
    }
    if (head.number === cursor.block && head.hash === cursor.hash) return
    // Same chain as before? The block at the cursor must still have the hash we saw (unknown
    // only after a partial round, when we trust it).
    // A head right on top of the cursor (the usual case under a head subscription) says so itself.
    const onTop = cursor.hash !== undefined && head.number === cursor.block + 1n && head.parentHash === cursor.hash
    const atCursor = onTop ? { hash: cursor.hash } : head.number < cursor.block ? undefined : await publicClient.getBlock({ blockNumber: cursor.block }).catch(() => undefined)
    if (!atCursor || (cursor.hash !== undefined && atCursor.hash !== cursor.hash)) {
      // Reorganised (or rewound): roll back to the newest block we know is still there, only.
      const fork = await forkPoint(head.number)
      if (!fork) {
        logger?.warn({ cursor: cursor.block.toString() }, 'chain reorganised or replaced beyond the recent blocks; reloading view')
        await reload({ number: head.number, hash: head.hash })
        return
      }
      logger?.warn({ cursor: cursor.block.toString(), fork: fork.block.toString() }, 'chain reorganised; rolling the view back to the fork point')
      rollBackTo(fork.block)
      cursor = { block: fork.block, hash: fork.hash }
    }
    if (head.number === cursor.block) return
    await fetchStoreEvents(publicClient, {
      ...addresses,
      fromBlock: cursor.block + 1n,
      toBlock: head.number,
      chunkSize: options.chunkSize,
      onChunk: async (events, to) => {
        await applyOpened(state, events, true)
        cursor = { block: to, hash: to === head.number ? head.hash! : undefined }
        // Only a changed state is worth a snapshot: rewriting it every block blocks the loop.
        if (events.length > 0) dirty = true
      },
    })
    cursor = { block: head.number, hash: head.hash }
    remember(head.number, head.hash)
  }

  const loop = createPollLoop({
    round: syncRound,
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    label: 'chain view',
    rpcUrl: options.rpcUrl,
    logger,
    onSuccess: () => {
      releaseWaiters()
      persist()
      // A rotation is complete here once nothing held is sealed to a retiring key: forget it.
      if (ring?.retiring() && state.sealedWithOtherKeys(ring.currentPublicKey()) === 0) {
        const n = ring.retire()
        logger?.info({ dropped: n }, 'every record is re-sealed to the new sealing key: the old key is forgotten')
      }
    },
  })
  const syncNow = (): Promise<void> => loop.syncNow()

  // New heads by subscription: chase the announced block (a round already in flight may have
  // read the head before that block, so rounds repeat until the cursor reaches it).
  const pollIntervalMs = options.pollIntervalMs ?? 1_000
  const pollWhileSubscribedMs = options.pollWhileSubscribedMs ?? Math.max(10_000, 10 * pollIntervalMs)
  let heads: HeadSubscription | undefined
  let wanted = -1n
  let chasing = false
  const chase = async (): Promise<void> => {
    if (chasing) return
    chasing = true
    try {
      while (loop.running() && (cursor?.block ?? -1n) < wanted) {
        const before = cursor?.block
        await syncNow()
        // A rewound chain (or a head the RPC does not serve yet) does not move the cursor: the poll takes over.
        if (cursor?.block === before) break
      }
    } catch {
      // logged by the poll loop; the next head or poll retries
    } finally {
      chasing = false
    }
  }
  const onHead = (n: bigint): void => {
    if (n > wanted) wanted = n
    void chase()
  }

  return {
    async start() {
      if (loop.running()) return
      const resumed = await loadSnapshot()
      try {
        await syncNow()
      } catch (err) {
        if (!resumed) throw err
        // Keep serving the snapshot; the poller retries.
      }
      loop.start()
      if (options.headsUrl && !heads) {
        heads = subscribeToHeads({
          url: options.headsUrl,
          logger,
          onHead,
          onState: (up) => {
            loop.setPollInterval(up ? pollWhileSubscribedMs : pollIntervalMs)
            // Blocks mined while it was down are picked up at once.
            if (up) void syncNow().catch(() => undefined)
          },
        })
      }
    },
    async stop() {
      await heads?.stop()
      heads = undefined
      await loop.stop()
      persist({ now: true })
      for (const w of waiters.splice(0)) w.resolve()
    },
    syncNow,
    waitForBlock(block, timeoutMs = 30_000) {
      const target = BigInt(block)
      if (cursor && cursor.block >= target) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          const i = waiters.indexOf(w)
          if (i >= 0) waiters.splice(i, 1)
          reject(new ViewTimeoutError(target, timeoutMs))
        }, timeoutMs)
        const w = { block: target, resolve: () => { clearTimeout(t); resolve() } }
        waiters.push(w)
        void syncNow().catch(() => undefined)
      })
    },
    clientByEndpoint: (endpoint) => state.clientByEndpoint(endpoint),
    clientByIdentity(identity) {
      const endpoint = state.endpointOfIdentity(identity)
      if (endpoint === undefined) return undefined
      const client = state.clientByEndpoint(endpoint)
      if (!client) return undefined
      const matchedRole = client.bootstrap.identity === identity ? 'bootstrap' : 'server'
      return { ...client, matchedRole, psk: client[matchedRole].key }
    },
    pskFor(identity, role) {
      const endpoint = state.endpointOfIdentity(identity)
      const client = endpoint === undefined ? undefined : state.clientByEndpoint(endpoint)
      const side = client?.[role]
      if (!client || !side || side.identity !== identity || !side.key) return undefined
      return { endpoint: client.endpoint, key: side.key }
    },
    userByUsername: (username) => state.userByUsername(username),
    userByEmail(email) {
      const key = typeof options.emailKey === 'function' ? options.emailKey() : options.emailKey
      return (key && state.userByEmailHash(emailHash(email, key))) || state.userByEmailHash(legacyEmailHash(email))
    },
    clients: () => state.clients(),
    users: () => state.users(),
    lag: () => ({ ...loop.lag(lastSeenHead, cursor?.block), subscribed: heads?.subscribed() ?? false }),
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** Changes that turn state `a` into state `b` (used after a full reload). */
export function diffStates(a: ViewState, b: ViewState): ViewChange[] {
  const out: ViewChange[] = []
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y)
  for (const c of a.clients()) if (!b.clientByEndpoint(c.endpoint)) out.push({ kind: 'client-removed', endpoint: c.endpoint, previous: c })
  for (const c of b.clients()) {
    const previous = a.clientByEndpoint(c.endpoint)
    if (!previous) out.push({ kind: 'client-added', endpoint: c.endpoint, client: c })
    else if (!same(previous, c)) out.push({ kind: 'client-updated', endpoint: c.endpoint, client: c, previous })
  }
  for (const u of a.users()) if (!b.userByUsername(u.username)) out.push({ kind: 'user-removed', username: u.username, previous: u })
  for (const u of b.users()) {
    const previous = a.userByUsername(u.username)
    if (!previous) out.push({ kind: 'user-added', username: u.username, user: u })
    else if (!same(previous, u)) out.push({ kind: 'user-updated', username: u.username, user: u, previous })
  }
  return out
}

/** waitForBlock gave up (the chain is unreachable or slower than the timeout). */
export class ViewTimeoutError extends LwchainError {
  override name = 'ViewTimeoutError'
  constructor(block: bigint, timeoutMs: number) {
    super(`the chain view did not reach block ${block} within ${timeoutMs} ms`, { code: 'LWC_VIEW_TIMEOUT' })
  }
}

function sliced<T>(items: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += PREFETCH_SLICE) out.push(items.slice(i, i + PREFETCH_SLICE))
  return out
}

function makeUnsealer(ring: SealingKeyRing, logger?: Logger): KeyedUnsealer {
  return {
    open(sealed, context) {
      const opened = ring.open(sealed, context)
      // Wrong key or tampered value: serve the record without the secret, say so once per call.
      if (!opened) logger?.warn({ context: context.split(':').slice(0, 3).join(':') }, 'cannot open a sealed value')
      return opened
    },
  }
}
