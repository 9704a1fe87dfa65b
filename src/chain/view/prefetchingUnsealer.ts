import type { Hex } from 'viem'
import type { Logger } from '../../logger.js'
import type { SealingKeyRing } from '../keys/keyRing.js'
import type { SealingPool } from '../sealingPool.js'
import { clientKeyContext, userEmailContext, userPasswordContext } from '../records/sealContexts.js'
import type { StoreEvent } from './events.js'
import type { ClientEntry, UserEntry } from './types.js'
import type { KeyedUnsealer } from './viewState.js'

/** A sealed value and the context it is bound to. */
export interface SealedRef {
  sealed: Hex
  context: string
}

/**
 * Below this many values a batch is opened inline: ~0.2 ms each is less than the pool's round
 * trip would delay the view's update (and a new block carries one or two records).
 */
export const PREFETCH_MIN = 8

/**
 * Records per prefetch-and-apply step of a big batch (a cold start's chunk, a snapshot): applying
 * 100,000 records in one go would itself hold the loop for seconds, opened or not; between steps
 * the loop runs, and the cache holds one step's values only.
 */
export const PREFETCH_SLICE = 2_000

/**
 * Values the loop opens between two yields when it shares a start's opening with the pool
 * (~0.07 ms each: a step holds the loop ~10 ms). On 2 cores the pool has one worker, and a
 * 100,000-client cold start spent ~14 s of it opening 200,000 values while the loop only waited.
 */
export const INLINE_STEP = 128

/**
 * The chain view's unsealer when it has a SealingPool: before a batch of records is applied
 * (a chunk of events, a snapshot), prefetch() opens all their sealed values in the pool, off the
 * event loop; ViewState, which stays synchronous (lookups are Map reads at handshake time), then
 * finds each value already opened. Anything not prefetched (a key the ring adopted mid-chunk, a
 * pool that failed, an undo after a reorg) is opened inline, as without a pool.
 */
export interface PrefetchingUnsealer extends KeyedUnsealer {
  /**
   * Opens `refs` in the pool and keeps the results for open(); never rejects (failures fall back
   * inline). With `shareInline` (a start, before anything is served), the loop opens half of
   * them itself, INLINE_STEP at a time, while the pool opens the other half.
   */
  prefetch(refs: SealedRef[], o?: { shareInline?: boolean }): Promise<void>
  /** Takes values opened elsewhere (a snapshot's opened-secrets block), aligned with `refs`, as if prefetched with `publicKey`. */
  preload(refs: SealedRef[], values: (Uint8Array | undefined)[], publicKey: Hex): void
  /** Drops what was prefetched and not used (call after applying the batch). */
  clear(): void
}

interface Prefetched {
  opened?: { value: Uint8Array; publicKey: Hex }
  /** Public keys tried: a failure is final only if the ring holds no other key now. */
  tried: Hex[]
}

/** Creates the unsealer (see PrefetchingUnsealer) over a key ring and a pool. */
export function createPrefetchingUnsealer(ring: SealingKeyRing, pool: Pick<SealingPool, 'openMany'>, logger?: Logger): PrefetchingUnsealer {
  const cache = new Map<string, Prefetched>()
  const id = (sealed: Hex, context: string): string => `${context}\n${sealed}`
  const warn = (context: string) => logger?.warn({ context: context.split(':').slice(0, 3).join(':') }, 'cannot open a sealed value')

  return {
    async prefetch(refs, o = {}) {
      const todo = refs.filter((r) => !cache.has(id(r.sealed, r.context)))
      if (todo.length < PREFETCH_MIN) return
      const keys = ring.openingKeys()
      const tried = keys.map((k) => k.publicKey)
      const mine = o.shareInline ? todo.splice(Math.ceil(todo.length / 2)) : []
      const pooled = pool.openMany(keys.map((k) => k.privateKey), todo.map((r) => ({ sealed: fromHex(r.sealed), context: r.context })))
      pooled.catch(() => undefined) // awaited below, after the loop's own share
      for (let i = 0; i < mine.length; i += INLINE_STEP) {
        if (i > 0) await yieldToLoop()
        for (const r of mine.slice(i, i + INLINE_STEP)) {
          const opened = ring.open(r.sealed, r.context)
          cache.set(id(r.sealed, r.context), opened ? { opened, tried } : { tried })
        }
      }
      let outcomes
      try {
        outcomes = await pooled
      } catch (err) {
        // A closed or broken pool: the values open inline at apply, as without a pool.
        logger?.warn({ err: (err as Error).message }, 'sealing pool unavailable: opening sealed values on the event loop')
        return
      }
      todo.forEach((r, i) => {
        const o = outcomes[i]
        cache.set(id(r.sealed, r.context), 'value' in o ? { opened: { value: o.value, publicKey: keys[o.key].publicKey }, tried } : { tried })
      })
    },
    preload(refs, values, publicKey) {
      const tried = [publicKey]
      refs.forEach((r, i) => {
        const value = values[i]
        cache.set(id(r.sealed, r.context), value ? { opened: { value, publicKey }, tried } : { tried })
      })
    },
    clear() {
      cache.clear()
    },
    open(sealed, context) {
      const key = id(sealed, context)
      const hit = cache.get(key)
      if (hit) {
        cache.delete(key)
        if (hit.opened) return hit.opened
        if (ring.openingKeys().every((k) => hit.tried.includes(k.publicKey))) {
          warn(context)
          return undefined
        }
      }
      const opened = ring.open(sealed, context)
      if (!opened) warn(context)
      return opened
    },
  }
}

/** The sealed values (and their contexts) a chunk of events will make the view open. */
export function sealedOfEvents(events: StoreEvent[]): SealedRef[] {
  const out: SealedRef[] = []
  for (const ev of events) {
    if (ev.type === 'ClientAdded' || ev.type === 'ClientUpdated') {
      const r = ev.record
      out.push({ sealed: r.bootstrapKeySealed, context: clientKeyContext(r.endpoint, 'bootstrap') }, { sealed: r.serverKeySealed, context: clientKeyContext(r.endpoint, 'server') })
    } else if (ev.type === 'UserAdded' || ev.type === 'UserUpdated') {
      const r = ev.record
      out.push({ sealed: r.emailSealed, context: userEmailContext(r.username) }, { sealed: r.passwordSealed, context: userPasswordContext(r.username) })
    }
  }
  return out
}

/** The sealed values of a snapshot's entries. */
export function sealedOfEntries(s: { clients: ClientEntry[]; users: UserEntry[] }): SealedRef[] {
  const out: SealedRef[] = []
  for (const c of s.clients) out.push({ sealed: c.bootstrapKeySealed, context: clientKeyContext(c.endpoint, 'bootstrap') }, { sealed: c.serverKeySealed, context: clientKeyContext(c.endpoint, 'server') })
  for (const u of s.users) out.push({ sealed: u.emailSealed, context: userEmailContext(u.username) }, { sealed: u.passwordSealed, context: userPasswordContext(u.username) })
  return out
}

/** Bytes of a 0x-hex string (Buffer's native decoder: viem's hexToBytes costs ~10 µs per sealed value). */
function fromHex(hex: Hex): Uint8Array {
  return Buffer.from(hex.slice(2), 'hex')
}

/** Lets the event loop run (timers, sockets) between two steps of a long batch. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
