// A ledger in its own process for the kill -9 test: accepts anomalies in a loop (CHILD_CONCURRENCY
// at a time) and prints each acknowledged id on stdout; with CHILD_MODE=drain it only restarts,
// anchors what is pending and prints "drained".
import { createAnomalyLedger } from '../../src/anomalies/ledger.js'
import { connectChain } from '../../src/chain/connectChain.js'
import { silentLogger } from '../../src/logger.js'

const env = process.env
const conn = await connectChain({ rpcUrl: env.CHILD_RPC!, timeoutMs: 5_000 })
const ledger = createAnomalyLedger({
  conn,
  address: env.CHILD_ADDRESS as `0x${string}`,
  deployBlock: env.CHILD_DEPLOY_BLOCK,
  dataDir: env.CHILD_DIR!,
  logger: silentLogger(),
  batchIntervalMs: 5,
  maxBatch: 50,
})
await ledger.start()
if (env.CHILD_MODE === 'drain') {
  while (ledger.stats().outboxDepth > 0) await ledger.flush().catch(() => new Promise((r) => setTimeout(r, 100)))
  process.stdout.write(`drained ${JSON.stringify({ duplicates: ledger.stats().duplicates })}\n`)
  await ledger.stop()
} else {
  const concurrency = Number(env.CHILD_CONCURRENCY ?? 20)
  let n = 0
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = n++
      const { id } = await ledger.accept({ endpoint: `dev-${i % 3}`, level: 1 + (i % 3), data: { i } })
      process.stdout.write(`${id}\n`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}
