// Anomaly ledger benchmark: gas per anchored batch, accepted anomalies per second, time until
// anchored, and list latency with 10,000 and 100,000 anomalies in the index.
//   npx tsx bench/anomalies.ts [--quick]      → bench/out/anomalies.json and a table on stdout
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { anchorBatch } from '../src/chain/anomalies/anchorBatch.js'
import { createAnomalyLedger, type AnomalyLedger } from '../src/anomalies/ledger.js'
import { buildBatch } from '../src/anomalies/merkle.js'
import type { AnomalyRecord } from '../src/anomalies/record.js'
import { silentLogger } from '../src/logger.js'
import { givenDeployment, type GivenDeployment } from '../test/chain/givenDeployment.js'
import { startAnvil, type TestAnvil } from '../test/helpers/anvil.js'

interface GasRow {
  records: number
  gasUsed: number
  gasPerRecord: number
  calldataBytes: number
}
interface AcceptRow {
  scenario: string
  accepted: number
  concurrency: number
  acceptedPerSec: number
  /** Accept latency (until fsync'd), ms. */
  acceptP50Ms: number
  acceptP95Ms: number
  /** From accept() resolving to the batch's receipt, ms. */
  anchorP50Ms: number
  anchorP95Ms: number
  /** Blocks between the last anchored block seen at accept time and the anchoring block. */
  anchorP50Blocks: number
  anchorP95Blocks: number
  batches: number
  meanBatch: number
}
interface ListRow {
  anomalies: number
  /** Time for the ledger's start() to rebuild its index from BatchAnchored logs, ms. */
  indexRebuildMs: number
  query: string
  p50Ms: number
  p95Ms: number
  maxMs: number
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const r2 = (x: number) => Math.round(x * 100) / 100

function synthetic(n: number, offset: number, endpoints: number): AnomalyRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = offset + k
    return {
      id: `bench-${String(i).padStart(8, '0')}`,
      endpoint: `urn:imei:35${String(i % endpoints).padStart(13, '0')}`,
      level: 1 + (i % 3),
      data: { temp: 40 + (i % 150) / 10, unit: 'Cel' },
      collectedAt: 1_760_000_000 + i,
    }
  })
}

async function chain(args: string[] = []): Promise<{ anvil: TestAnvil; d: GivenDeployment }> {
  const anvil = await startAnvil({ args })
  return { anvil, d: await givenDeployment(anvil.rpcUrl) }
}

/** Gas of anchorBatch for batches of 1, 100 and 1,000 records. */
async function gasBench(): Promise<GasRow[]> {
  const { anvil, d } = await chain()
  try {
    const rows: GasRow[] = []
    for (const n of [1, 100, 1000]) {
      const b = buildBatch(synthetic(n, n * 10, 50))
      const r = await anchorBatch(d.conn, { anomalyStore: d.anomalyStore, root: b.root, count: n, records: b.encoded })
      rows.push({ records: n, gasUsed: Number(r.gasUsed), gasPerRecord: Math.round(Number(r.gasUsed) / n), calldataBytes: (b.encoded.length - 2) / 2 })
    }
    return rows
  } finally {
    await anvil.stop()
  }
}

/** Accept `total` anomalies with `concurrency` accept() calls in flight (or at `ratePerSec`), until all are anchored. */
async function acceptBench(scenario: string, total: number, concurrency: number, ratePerSec?: number): Promise<AcceptRow> {
  const { anvil, d } = await chain()
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-anomalies-'))
  let ledger: AnomalyLedger | undefined
  try {
    ledger = createAnomalyLedger({ conn: d.conn, address: d.anomalyStore, deployBlock: d.deployBlock, dataDir: dir, logger: silentLogger(), batchIntervalMs: 100 })
    await ledger.start()
    const acceptedAt = new Map<string, { t: number; block: number }>()
    const anchorMs: number[] = []
    const anchorBlocks: number[] = []
    let lastBlock = Number(await d.conn.publicClient.getBlockNumber())
    let batches = 0
    let anchoredCount = 0
    let allAnchored!: () => void
    const done = new Promise<void>((res) => (allAnchored = res))
    ledger.subscribe((e) => {
      if (e.type !== 'anchored') return
      const now = performance.now()
      const block = Number(e.block)
      batches++
      for (const id of e.ids) {
        const a = acceptedAt.get(id)
        if (a) {
          anchorMs.push(now - a.t)
          anchorBlocks.push(block - a.block)
        }
      }
      lastBlock = block
      anchoredCount += e.ids.length
      if (anchoredCount >= total) allAnchored()
    })
    const acceptMs: number[] = []
    let next = 0
    const t0 = performance.now()
    const worker = async (w: number): Promise<void> => {
      for (;;) {
        const i = next++
        if (i >= total) return
        if (ratePerSec) {
          const due = t0 + (i * 1000) / ratePerSec
          const wait = due - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        }
        const s = performance.now()
        const { id } = await ledger!.accept({ endpoint: `dev-${(i + w) % 100}`, level: 1 + (i % 3), data: { temp: 40 + (i % 150) / 10 } })
        const e = performance.now()
        acceptMs.push(e - s)
        acceptedAt.set(id, { t: e, block: lastBlock })
      }
    }
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)))
    const elapsed = performance.now() - t0
    await done
    if (ledger.stats().duplicates !== 0) throw new Error('duplicates anchored')
    return {
      scenario,
      accepted: total,
      concurrency,
      acceptedPerSec: Math.round((total * 1000) / elapsed),
      acceptP50Ms: r2(pct(acceptMs, 50)),
      acceptP95Ms: r2(pct(acceptMs, 95)),
      anchorP50Ms: Math.round(pct(anchorMs, 50)),
      anchorP95Ms: Math.round(pct(anchorMs, 95)),
      anchorP50Blocks: pct(anchorBlocks, 50),
      anchorP95Blocks: pct(anchorBlocks, 95),
      batches,
      meanBatch: Math.round(total / Math.max(1, batches)),
    }
  } finally {
    await ledger?.stop()
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Anchors `n` anomalies in big batches directly, starts a ledger on that chain, and times list() pages. */
async function listBench(n: number, iterations: number): Promise<ListRow[]> {
  const { anvil, d } = await chain(['--gas-limit', '1000000000', '--disable-code-size-limit'])
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-anomalies-'))
  let ledger: AnomalyLedger | undefined
  try {
    // anvil refuses JSON-RPC bodies of about 2 MB, so 2,000 records (770 kB) per transaction.
    const per = 2000
    for (let off = 0; off < n; off += per) {
      const b = buildBatch(synthetic(Math.min(per, n - off), off, 1000))
      await anchorBatch(d.conn, { anomalyStore: d.anomalyStore, root: b.root, count: b.count, records: b.encoded })
    }
    ledger = createAnomalyLedger({ conn: d.conn, address: d.anomalyStore, deployBlock: d.deployBlock, dataDir: dir, logger: silentLogger() })
    const s = performance.now()
    await ledger.start()
    const indexRebuildMs = Math.round(performance.now() - s)
    if (ledger.stats().anchored !== n) throw new Error(`indexed ${ledger.stats().anchored} of ${n}`)
    const mid = 1_760_000_000 + Math.floor(n / 2)
    let deepCursor: string | undefined
    for (let p = 0; p < 50; p++) deepCursor = ledger.list({ limit: 100, cursor: deepCursor }).next
    const queries: [string, () => unknown][] = [
      ['first page (100)', () => ledger!.list({ limit: 100 })],
      ['endpoint, 100', () => ledger!.list({ endpoint: 'urn:imei:350000000000417', limit: 100 })],
      ['time range mid, 100', () => ledger!.list({ from: mid, to: mid + 5000, limit: 100 })],
      ['endpoint + time range', () => ledger!.list({ endpoint: 'urn:imei:350000000000417', from: mid, to: mid + 20000, limit: 100 })],
      ['page 51 by cursor', () => ledger!.list({ limit: 100, cursor: deepCursor })],
      ['max page (1000)', () => ledger!.list({ limit: 1000, from: mid })],
    ]
    const rows: ListRow[] = []
    for (const [query, q] of queries) {
      const ms: number[] = []
      for (let k = 0; k < iterations; k++) {
        const t = performance.now()
        q()
        ms.push(performance.now() - t)
      }
      rows.push({ anomalies: n, indexRebuildMs, query, p50Ms: r2(pct(ms, 50)), p95Ms: r2(pct(ms, 95)), maxMs: r2(Math.max(...ms)) })
    }
    // A page right after a burst of accepts pays for merging them into the sorted index.
    const burst = 2000
    await Promise.all(Array.from({ length: burst }, (_, i) => ledger!.accept({ endpoint: 'late', level: 1, data: i, timestamp: 1_760_000_000 + (i * 7919) % n })))
    const t = performance.now()
    ledger.list({ limit: 100, from: mid })
    const merge = performance.now() - t
    rows.push({ anomalies: n, indexRebuildMs, query: `first page after ${burst} accepts`, p50Ms: r2(merge), p95Ms: r2(merge), maxMs: r2(merge) })
    // Restart: the index comes back from the data dir's snapshot, not from the logs.
    await ledger.flush()
    await ledger.stop()
    ledger = createAnomalyLedger({ conn: d.conn, address: d.anomalyStore, deployBlock: d.deployBlock, dataDir: dir, logger: silentLogger() })
    const r = performance.now()
    await ledger.start()
    const resumeMs = Math.round(performance.now() - r)
    if (ledger.stats().anchored !== n + burst) throw new Error(`resumed ${ledger.stats().anchored} of ${n + burst}`)
    rows.push({ anomalies: n + burst, indexRebuildMs: resumeMs, query: 'restart from the index snapshot (start() ms)', p50Ms: resumeMs, p95Ms: resumeMs, maxMs: resumeMs })
    return rows
  } finally {
    await ledger?.stop()
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

function table(gas: GasRow[], accept: AcceptRow[], list: ListRow[]): string {
  return [
    `Anomaly ledger (anvil mined on demand by the EmbeddedMiner, node ${process.version}, ${new Date().toISOString()})`,
    '',
    '| records per batch | gas used | gas per record | records bytes |',
    '|---:|---:|---:|---:|',
    ...gas.map((g) => `| ${g.records} | ${g.gasUsed} | ${g.gasPerRecord} | ${g.calldataBytes} |`),
    '',
    '| scenario | accepted | concurrency | accepted/s | accept p50/p95 ms | anchored p50/p95 ms | anchored p50/p95 blocks | batches | mean batch |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...accept.map(
      (a) =>
        `| ${a.scenario} | ${a.accepted} | ${a.concurrency} | ${a.acceptedPerSec} | ${a.acceptP50Ms} / ${a.acceptP95Ms} | ${a.anchorP50Ms} / ${a.anchorP95Ms} | ${a.anchorP50Blocks} / ${a.anchorP95Blocks} | ${a.batches} | ${a.meanBatch} |`,
    ),
    '',
    '| anomalies | index build ms (start() from logs) | list query | p50 ms | p95 ms | max ms |',
    '|---:|---:|---|---:|---:|---:|',
    ...list.map((l) => `| ${l.anomalies} | ${l.indexRebuildMs} | ${l.query} | ${l.p50Ms} | ${l.p95Ms} | ${l.maxMs} |`),
  ].join('\n')
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const gas = await gasBench()
  const accept = [
    await acceptBench('burst', quick ? 5_000 : 30_000, 500),
    await acceptBench('steady 2,000/s', quick ? 4_000 : 20_000, 200, 2_000),
    await acceptBench('steady 5,000/s', quick ? 10_000 : 50_000, 500, 5_000),
  ]
  const list = [...(await listBench(10_000, quick ? 50 : 200)), ...(await listBench(quick ? 30_000 : 100_000, quick ? 50 : 200))]
  const out = table(gas, accept, list)
  console.log(`\n${out}`)
  const outDir = join(dirname(fileURLToPath(import.meta.url)), 'out')
  mkdirSync(outDir, { recursive: true })
  const file = join(outDir, 'anomalies.json')
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, gas, accept, list }, null, 2) + '\n')
  writeFileSync(join(outDir, 'anomalies.md'), out + '\n')
  console.log(`\nwritten: ${file}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
