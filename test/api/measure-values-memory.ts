/**
 * Memory of the latest-values store per device: N devices (default 10,000), each with the
 * temperature's history full (60 numeric samples), 8 more numeric resources and 8 strings of 32
 * characters (about what a Read of /3/0 leaves), then every device at the per-device cap of 64
 * resources. Prints bytes per device for both.
 *
 *   npx tsx --expose-gc test/api/measure-values-memory.ts [N]
 */
import { createLatestValues } from '../../src/api/values/latestValues.js'

const N = Number(process.argv[2] ?? 10_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')
const heap = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

function measure(resources: (i: number, t: number) => Record<string, number | string>, rounds: number): number {
  const before = heap()
  const store = createLatestValues()
  for (let i = 0; i < N; i++) {
    const ep = `device-${String(i).padStart(6, '0')}`
    for (let t = 0; t < rounds; t++) store.record(ep, resources(i, t), 'notification', 1_700_000_000_000 + t * 1000)
  }
  const after = heap()
  if (store.size().devices !== N) throw new Error('store lost devices')
  return Math.round((after - before) / N)
}

const typical = measure((i, t) => {
  const out: Record<string, number | string> = { '/3303/0/5700': 20 + ((i + t) % 10) / 10 }
  if (t === 0) {
    for (let r = 0; r < 8; r++) out[`/3/0/${r}`] = `value-${r}-${'x'.repeat(24)}`
    for (let r = 9; r < 17; r++) out[`/3/0/${r}`] = r * i
  }
  return out
}, 60)
const full = measure((i, t) => {
  const out: Record<string, number | string> = {}
  for (let r = 0; r < 64; r++) out[`/3303/${r}/5700`] = i + t
  return out
}, 60)
console.log(JSON.stringify({ devices: N, bytesPerDevice: { typical, atCap64ResourcesFullHistory: full } }))
