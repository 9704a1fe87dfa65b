// Child process of bench/run.ts: one `client import` of N devices into a fresh chain, printed as JSON
// on stdout. In its own process so that a stalled import cannot stall the whole benchmark.
//   tsx bench/import-child.ts <clients>
import { runImportBench } from './chain-import.js'

const [r] = await runImportBench({ clients: Number(process.argv[2] ?? 10_000), batchSizes: [50] })
process.stdout.write(JSON.stringify({ clients: r.clients, seconds: r.totalMs / 1000, transactions: r.transactions }) + '\n')
process.exit(0)
