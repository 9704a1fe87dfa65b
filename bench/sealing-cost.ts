// `npx tsx bench/sealing-cost.ts [N]`: what one seal and one open cost on this machine, on the
// event loop (synchronous) and through the sealing pool (sealingPool.ts), with the longest
// event-loop stall seen meanwhile. A standalone probe, not a part of `npm run bench`.
import { performance } from 'node:perf_hooks'
import { longestStall } from '../test/helpers/loopStall.js'
import { generateSealingKeyPair, open, seal } from '../src/chain/sealing.js'
import { createSealingPool } from '../src/chain/sealingPool.js'

const n = Number(process.argv[2] ?? 4000)
const kp = generateSealingKeyPair()
const plain = new Uint8Array(16).fill(7)
const ctx = (i: number) => `lwchain:client:server-psk:dev-${i}`

const row = (label: string, ms: number, items: number, stall: number) =>
  console.log(`${label.padEnd(40)} ${(ms / items * 1000).toFixed(1).padStart(7)} µs/item  total ${ms.toFixed(0).padStart(6)} ms  longest loop stall ${stall.toFixed(0).padStart(5)} ms`)

// Warm up node:crypto and the JIT.
for (let i = 0; i < 200; i++) open(kp.privateKey, seal(kp.publicKey, plain, ctx(i)), ctx(i))

const syncSeal = await longestStall(() => Array.from({ length: n }, (_, i) => seal(kp.publicKey, plain, ctx(i))))
row(`seal ×${n}, synchronous`, syncSeal.ms, n, syncSeal.stallMs)
const sealed = syncSeal.value
const syncOpen = await longestStall(() => sealed.map((s, i) => open(kp.privateKey, s, ctx(i))))
row(`open ×${n}, synchronous`, syncOpen.ms, n, syncOpen.stallMs)

for (const workers of [1, 2]) {
  const pool = createSealingPool({ workers })
  await pool.sealMany(Array.from({ length: 200 }, (_, i) => ({ publicKey: kp.publicKey, plaintext: plain, context: ctx(i) })))
  const one = await longestStall(async () => {
    for (let i = 0; i < 200; i++) await pool.seal(kp.publicKey, plain, ctx(i))
  })
  row(`pool(${workers}) seal one at a time ×200`, one.ms, 200, one.stallMs)
  const many = await longestStall(() => pool.sealMany(Array.from({ length: n }, (_, i) => ({ publicKey: kp.publicKey, plaintext: plain, context: ctx(i) }))))
  row(`pool(${workers}) sealMany ×${n}`, many.ms, n, many.stallMs)
  const opened = await longestStall(() => pool.openMany(kp.privateKey, sealed.map((s, i) => ({ sealed: s, context: ctx(i) }))))
  row(`pool(${workers}) openMany ×${n}`, opened.ms, n, opened.stallMs)
  if (opened.value.some((o) => 'error' in o)) throw new Error('an open failed')
  await pool.close()
}
