// Child process of bench/run.ts: one `client import` of N devices into a fresh chain, printed as JSON
// on stdout. In its own process so that a stalled import cannot stall the whole benchmark; the
// anvil pid goes out first, so the parent can stop it too if it has to kill this process.
//   tsx bench/import-child.ts <clients>
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { runClientImport } from '../src/commands/client/import.js'
import { runDeploy } from '../src/commands/deploy/run.js'

const clients = Number(process.argv[2] ?? 10_000)
delete process.env.LWCHAIN_PRIVATE_KEY
const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-import-'))
const chain = await startEmbeddedChain({ port: 0 })
process.stdout.write(JSON.stringify({ anvilPid: chain.pid }) + '\n')
try {
  const o = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
  await runDeploy(o)
  const file = join(dir, 'clients.csv')
  writeFileSync(file, 'endpoint\n' + Array.from({ length: clients }, (_, i) => `bench-${i}`).join('\n') + '\n')
  const t0 = performance.now()
  const report = await runClientImport(o, { file })
  const seconds = Math.round(performance.now() - t0) / 1000
  if (report.landed !== clients) {
    // Say why: the distinct errors of the rows that did not land, with their counts.
    const why = new Map<string, number>()
    for (const r of report.rows) if (r.status !== 'landed') why.set(r.error ?? '?', (why.get(r.error ?? '?') ?? 0) + 1)
    throw new Error(`only ${report.landed} of ${clients} clients landed: ${[...why].map(([e, n]) => `${n} × ${e}`).join('; ')}`)
  }
  process.stdout.write(JSON.stringify({ clients, seconds, transactions: report.batches }) + '\n')
} finally {
  await chain.stop()
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
