import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { runClientImport } from '../src/commands/client/import.js'
import { runDeploy } from '../src/commands/deploy/run.js'

/** One measured import. */
export interface ImportBenchResult {
  clients: number
  batchSize: number
  transactions: number
  /** Whole command: file parse, validation, chain pre-check, sealing, sends and receipts. */
  totalMs: number
  /** From the first send to the last receipt. */
  sendMs: number
  clientsPerSec: number
}

/**
 * Times `client import` of N generated clients into a fresh embedded chain (anvil, mined on demand),
 * once per batch size. Each run gets its own chain so earlier runs do not slow later ones.
 */
export async function runImportBench(options: { clients?: number; batchSizes?: number[] } = {}): Promise<ImportBenchResult[]> {
  const clients = options.clients ?? 1000
  const results: ImportBenchResult[] = []
  for (const batchSize of options.batchSizes ?? [25, 50, 100]) {
    const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-import-'))
    const chain = await startEmbeddedChain({ port: 0 })
    try {
      const o = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
      await runDeploy(o)
      const file = join(dir, 'clients.csv')
      writeFileSync(file, 'endpoint\n' + Array.from({ length: clients }, (_, i) => `bench-${i}`).join('\n') + '\n')
      const t0 = performance.now()
      const report = await runClientImport(o, { file, batchSize })
      const totalMs = Math.round(performance.now() - t0)
      if (report.landed !== clients) throw new Error(`only ${report.landed} of ${clients} clients landed`)
      results.push({ clients, batchSize, transactions: report.batches, totalMs, sendMs: report.elapsedMs, clientsPerSec: Math.round((clients * 1000) / totalMs) })
    } finally {
      await chain.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return results
}

/** Markdown table of the results. */
export function importBenchTable(results: readonly ImportBenchResult[]): string {
  return [
    `Time to import clients with \`lwchain client import\` into the embedded chain (anvil mined on demand; node ${process.version})`,
    '',
    '| clients | batch size | transactions | total ms | send+mine ms | clients/s |',
    '|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.clients} | ${r.batchSize} | ${r.transactions} | ${r.totalMs} | ${r.sendMs} | ${r.clientsPerSec} |`),
  ].join('\n')
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const results = await runImportBench(quick ? { clients: 200, batchSizes: [50] } : {})
  console.log('\n' + importBenchTable(results))
  const outDir = join(dirname(fileURLToPath(import.meta.url)), 'out')
  mkdirSync(outDir, { recursive: true })
  const file = join(outDir, 'chain-import.json')
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n')
  console.log(`\nwritten: ${file}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
