import { cpus, freemem, loadavg, totalmem } from 'node:os'

/** Median and spread of a list of samples. */
export interface Summary {
  n: number
  median: number
  p25: number
  p75: number
  min: number
  max: number
}

/** The p-th percentile (nearest rank) of a non-empty list. */
export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

const r = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x)

/** Median, quartiles and range (rounded to 2 decimals). */
export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, median: r(pct(xs, 50)), p25: r(pct(xs, 25)), p75: r(pct(xs, 75)), min: r(Math.min(...xs)), max: r(Math.max(...xs)) }
}

/** "median (p25–p75, min–max)" for tables. */
export function fmt(s: Summary, unit = ''): string {
  if (s.n === 0) return 'n/a'
  return `${s.median}${unit} (p25–p75 ${s.p25}–${s.p75}; min–max ${s.min}–${s.max}; n=${s.n})`
}

/** The machine the run happened on (recorded with every result). */
export function machine(): Record<string, string | number> {
  const c = cpus()
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: r(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: r(freemem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((x) => r(x)).join(' '),
  }
}

/** Current 1-minute load average (noted next to each figure: the machine is shared). */
export const load1 = (): number => r(loadavg()[0])

/** Awaits a stop() but gives up after `ms` (logged): a hung shutdown must not stall the benchmark. */
export async function stopWithin(what: string, stop: () => Promise<unknown>, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const gaveUp = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))
  const r = await Promise.race([stop().catch(() => undefined), gaveUp])
  clearTimeout(timer)
  if (r === 'timeout') console.log(`  warning: ${what} did not stop within ${ms} ms; left behind`)
}
