// `npx tsx bench/sealing-view.ts [clients]`: a chain view's restore of a snapshot of N clients
// (two sealed keys each), opened inline on the event loop vs. prefetched in the sealing pool, with
// the longest event-loop stall of each. A standalone probe, not a part of `npm run bench`.
import { performance } from 'node:perf_hooks'
import { longestStall } from '../test/helpers/loopStall.js'
import { bytesToHex, type Hex } from 'viem'
import { SealingKeyRing } from '../src/chain/keys/keyRing.js'
import { clientKeyContext } from '../src/chain/records/sealContexts.js'
import { generateSealingKeyPair } from '../src/chain/sealing.js'
import { createSealingPool } from '../src/chain/sealingPool.js'
import { createPrefetchingUnsealer, PREFETCH_SLICE, sealedOfEntries, yieldToLoop } from '../src/chain/view/prefetchingUnsealer.js'
import type { ClientEntry } from '../src/chain/view/types.js'
import { ViewState } from '../src/chain/view/viewState.js'

const n = Number(process.argv[2] ?? 5000)
const kp = generateSealingKeyPair()
const pool = createSealingPool()

// The snapshot's entries, sealed in the pool (the setup, not measured).
const key = (i: number) => new Uint8Array(16).fill(i & 0xff)
const items = Array.from({ length: n }, (_, i) => [
  { publicKey: kp.publicKey, plaintext: key(i), context: clientKeyContext(`dev-${i}`, 'bootstrap') },
  { publicKey: kp.publicKey, plaintext: key(i), context: clientKeyContext(`dev-${i}`, 'server') },
]).flat()
const sealed = (await pool.sealMany(items)).map((b) => bytesToHex(b))
const clients: ClientEntry[] = Array.from({ length: n }, (_, i) => ({
  endpoint: `dev-${i}`,
  endpointHash: `0x${i.toString(16).padStart(64, '0')}` as Hex,
  bootstrapUri: 'coaps://127.0.0.1:5784',
  bootstrapIdentity: `bs-${i}`,
  bootstrapKeySealed: sealed[2 * i],
  serverUri: 'coaps://127.0.0.1:5684',
  serverIdentity: `srv-${i}`,
  serverKeySealed: sealed[2 * i + 1],
  version: 1,
  block: '1',
}))
const snapshot = { clients, users: [] }

const inline = await longestStall(() => {
  const s = new ViewState(new SealingKeyRing(kp.privateKey))
  s.restore(snapshot)
  return s
})
const pooled = await longestStall(async () => {
  // As createChainView's restoreOpened: a slice at a time, the loop free in between.
  const u = createPrefetchingUnsealer(new SealingKeyRing(kp.privateKey), pool)
  const s = new ViewState(u)
  for (let i = 0; i < n; i += PREFETCH_SLICE) {
    const part = { clients: clients.slice(i, i + PREFETCH_SLICE), users: [] }
    await u.prefetch(sealedOfEntries(part))
    s.restore(part)
    u.clear()
    await yieldToLoop()
  }
  return s
})
for (const s of [inline.value, pooled.value]) if (!s.clientByEndpoint(`dev-${n - 1}`)?.server.key) throw new Error('a key did not open')
const line = (label: string, r: { ms: number; stallMs: number }) =>
  console.log(`${label.padEnd(34)} ${r.ms.toFixed(0).padStart(6)} ms (${((r.ms / (2 * n)) * 1000).toFixed(0)} µs/open)  longest loop stall ${r.stallMs.toFixed(0).padStart(5)} ms  → at 100k clients ≈ ${((r.ms * 100_000) / n / 1000).toFixed(1)} s`)
console.log(`restore of ${n} clients (${2 * n} opens), pool of ${pool.size} worker(s):`)
line('inline (on the event loop)', inline)
line('prefetched in the sealing pool', pooled)
await pool.close()
