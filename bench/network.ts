// Real-network figures (issue 18): the ledger, provisioning and the chain view through a
// hosted-provider + geth-txpool proxy (test/helpers/rpc-proxy.ts) in front of anvil. Not part of
// `npm run bench` (minutes of 12 s blocks): run it alone, at a quiet moment.
//   npx tsx bench/network.ts [--part ledger|import|coldstart|fees]... [--quick] [--clients N]
// → bench/out/network.json and lines on stdout.
import pino from 'pino'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeRecords } from '../src/anomalies/merkle.js'
import { createAnomalyLedger, type LedgerEvent } from '../src/anomalies/ledger.js'
import { fetchBatchEvents } from '../src/chain/anomalies/fetchBatchEvents.js'
import { provisionClients, type ProvisionRow } from '../src/chain/clients/provisionClients.js'
import { connectChain } from '../src/chain/connectChain.js'
import { createChainView } from '../src/chain/view/createChainView.js'
import { loadViewState } from '../src/chain/view/loadViewState.js'
import { silentLogger } from '../src/logger.js'
import { givenDeployment } from '../test/chain/givenDeployment.js'
import { startAnvil } from '../test/helpers/anvil.js'
import { startRpcProxy } from '../test/helpers/rpc-proxy.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const parts = args.flatMap((a, i) => (a === '--part' ? [args[i + 1]] : []))
const want = (p: string) => parts.length === 0 || parts.includes(p)
const clientsArg = args.indexOf('--clients')
const coldClients = clientsArg >= 0 ? Number(args[clientsArg + 1]) : quick ? 5_000 : 100_000
const benchDir = dirname(fileURLToPath(import.meta.url))
const out: Record<string, unknown> = { quick, startedAt: new Date().toISOString() }
const log = (m: string) => console.log(m)
/** The ledger's own log, to a file when LWC_BENCH_LOG names one (at debug level), else silent. */
const benchLogger = () => (process.env.LWC_BENCH_LOG ? (pino({ level: 'debug' }, pino.destination(process.env.LWC_BENCH_LOG)) as never) : silentLogger())
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Resolves once `cond` holds, checked every 50 ms (a bench loop: the figures are seconds). */
const until = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await sleep(50)
}
const rpcOf = (url: string) => async (method: string, params: unknown[] = []) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  return ((await r.json()) as { result: unknown }).result
}

/** 50,000 anomalies at 2,000/s on 12 s blocks with two reorgs of depth 2: all final, none twice. */
async function ledgerPart(): Promise<void> {
  const total = quick ? 6_000 : 50_000
  const rate = 2_000
  const blockTime = quick ? 2 : 12
  // Blocks big enough for 2,000 records/s of calldata (the node, not the ledger, is the limit here).
  const anvil = await startAnvil({ args: ['--block-time', String(blockTime), '--gas-limit', '2000000000'] })
  const rpc = rpcOf(anvil.rpcUrl)
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-net-'))
  try {
    const d = await givenDeployment(anvil.rpcUrl)
    const proxy = await startRpcProxy({ upstream: anvil.rpcUrl })
    const conn = await connectChain({ rpcUrl: proxy.url })
    const ledger = createAnomalyLedger({ conn, address: d.anomalyStore, deployBlock: d.deployBlock, dataDir: dir, logger: benchLogger(), finality: { confirmations: 3 }, maxInflight: 128, pollIntervalMs: 1_000 })
    const events: Extract<LedgerEvent, { ids: string[] }>[] = []
    ledger.subscribe((e) => 'ids' in e && events.push(e))
    await ledger.start()
    const t0 = performance.now()
    const ids: string[] = []
    const reorgsAt = [Math.floor(total * 0.4), Math.floor(total * 0.8)]
    const reorgs: { atRecord: number; head: string }[] = []
    const reorgTimers: Promise<void>[] = []
    // Producers that do not wait for each other (devices): each tick offers its records whether
    // or not the earlier ones are durable yet; acceptance latency is measured per record.
    const inFlight: Promise<void>[] = []
    const acceptMs: number[] = []
    for (let i = 0; i < total; i += rate / 10) {
      for (let k = 0; k < rate / 10; k++) {
        const offered = performance.now()
        const n = i + k
        inFlight.push(
          ledger.accept({ endpoint: `dev-${n % 500}`, level: 1 + (n % 5), data: { t: 40 + (n % 30), seq: n } }).then((r) => {
            ids.push(r.id)
            acceptMs.push(performance.now() - offered)
          }),
        )
      }
      if (reorgTimers.length < 2 && ids.length >= reorgsAt[reorgTimers.length]) {
        // Once a block holding a batch of ours is mined (the next 'included' after this point, and
        // after the previous reorg), take that block and its parent away before they are final.
        const atRecord = ids.length
        const previous = reorgTimers.at(-1) ?? Promise.resolve()
        const reorg = previous.then(async () => {
          const since = events.length
          log(`ledger: reorg ${reorgs.length + 1} waits for a block holding a batch (${events.length} ledger events so far)`)
          let said = Date.now()
          await until(() => {
            if (Date.now() - said > 15_000) {
              said = Date.now()
              log(`ledger: still waiting: ${JSON.stringify(ledger.stats())}`)
            }
            // In a block after the previous reorg's head: each reorg takes different blocks away.
            // And two blocks above the deployment at least: a reorg of depth 2 at the head must
            // not take the stores away (anvil does not re-pool removed transactions, so the
            // ledger's nonces would wait behind the deployer's for good).
            const after = BigInt(reorgs.at(-1)?.head ?? -1)
            const lowest = d.deployBlock + 2n > after ? d.deployBlock + 2n : after + 1n
            return events.slice(since).some((e) => e.type === 'included' && BigInt(e.block) >= lowest)
          })
          reorgs.push({ atRecord, head: String(await rpc('eth_blockNumber')) })
          await rpc('anvil_reorg', [2, []])
        })
        reorg.catch(() => {}) // awaited (and its failure reported) after the accepting loop
        reorgTimers.push(reorg)
      }
      // Ticks on an absolute clock: a slow tick is made up by the next ones, so the offered rate
      // averages 2,000/s whenever the ledger keeps up on average.
      const spare = t0 + ((i + rate / 10) / rate) * 1000 - performance.now()
      if (spare > 0) await sleep(spare)
    }
    await Promise.all(inFlight)
    const acceptS = (performance.now() - t0) / 1000
    acceptMs.sort((a, b) => a - b)
    const acceptP = (q: number) => Math.round(acceptMs[Math.min(acceptMs.length - 1, Math.floor(q * acceptMs.length))])
    await Promise.all(reorgTimers)
    log(`ledger: accepted ${total} in ${acceptS.toFixed(1)} s; reorgs at heads ${reorgs.map((r) => r.head).join(', ')}`)
    let lastLog = 0
    const deadline = Date.now() + (quick ? 300_000 : 900_000)
    while (!ids.every((id) => ledger.get(id)?.status === 'anchored')) {
      if (Date.now() > deadline) throw new Error(`not all final: ${JSON.stringify(ledger.stats())}`)
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now()
        const s = ledger.stats()
        log(`ledger: ${((performance.now() - t0) / 1000).toFixed(0)} s: outbox ${s.outboxDepth} (in flight ${s.inflight}), anchored ${ids.filter((id) => ledger.get(id)?.status === 'anchored').length}, head ${s.chain.lastSeenHead}${s.lastError ? `, last error: ${s.lastError}` : ''}`)
      }
      await sleep(1_000)
    }
    const allFinalS = (performance.now() - t0) / 1000
    const head = await d.conn.publicClient.getBlockNumber({ cacheTime: 0 })
    const batches = await fetchBatchEvents(d.conn.publicClient, { anomalyStore: d.anomalyStore, fromBlock: d.deployBlock, toBlock: head })
    const seen = new Map<string, number>()
    for (const b of batches) for (const r of decodeRecords(b.records) ?? []) seen.set(r.id, (seen.get(r.id) ?? 0) + 1)
    const twice = [...seen.values()].filter((n) => n > 1).length
    const missing = ids.filter((id) => !seen.has(id)).length
    const stats = ledger.stats()
    await ledger.stop()
    const row = {
      anomalies: total,
      ratePerSec: rate,
      blockTimeS: blockTime,
      confirmations: 3,
      reorgs: reorgs.length,
      reorgDepth: 2,
      acceptedPerSec: Math.round(total / acceptS),
      acceptLatencyMs: { p50: acceptP(0.5), p99: acceptP(0.99), max: acceptP(1) },
      allFinalAfterS: Math.round(allFinalS),
      batches: batches.length,
      meanRecordsPerBatch: Math.round(total / batches.length),
      // A reorg either leaves a batch out (un-anchored, sent again) or anvil mines its transaction
      // again in the new blocks (included a second time, in another block): both count.
      reincludedBatches: (() => {
        const seen = new Set<string>()
        let n = 0
        for (const e of events) {
          if (e.type !== 'included') continue
          if (seen.has(e.txHash)) n++
          seen.add(e.txHash)
        }
        return n
      })(),
      unanchoredEvents: events.filter((e) => e.type === 'unanchored').length,
      unanchoredRecords: events.filter((e) => e.type === 'unanchored').reduce((n, e) => n + e.ids.length, 0),
      onChainOnce: seen.size,
      onChainTwice: twice,
      missing,
      duplicatesIndexed: stats.duplicates,
      proxyOversized: proxy.stats.oversized,
      proxyRequests: proxy.stats.requests,
    }
    out.ledger = row
    log(`ledger: ${JSON.stringify(row)}`)
    await proxy.close()
  } finally {
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const rowsOf = (prefix: string, n: number): ProvisionRow[] =>
  Array.from({ length: n }, (_, i) => ({ row: i + 1, input: { endpoint: `${prefix}-${i}`, bsIdentity: `${prefix}-bs-${i}`, serverIdentity: `${prefix}-srv-${i}` } }))

/** A 10,000-row import through the proxy with injected 429s and one dropped tx; a re-run sends nothing. */
async function importPart(): Promise<void> {
  const n = quick ? 2_000 : 10_000
  const anvil = await startAnvil({ args: ['--gas-limit', '300000000'] })
  try {
    const d = await givenDeployment(anvil.rpcUrl)
    const proxy = await startRpcProxy({ upstream: anvil.rpcUrl })
    proxy.setRateLimit((c) => (c.method === 'eth_sendRawTransaction' && c.nOfMethod % 5 === 0 ? { retryAfter: 0, afterForward: true } : c.n % 11 === 0 ? { retryAfter: 1 } : undefined))
    proxy.dropTransaction(({ call }) => call.nOfMethod >= 7)
    const conn = await connectChain({ rpcUrl: proxy.url })
    const p = { clientStore: d.clientStore, userStore: d.userStore, deployBlock: d.deployBlock, sealingPublicKey: d.sealingPublicKey, batchSize: 50 }
    const rows = rowsOf('imp', n)
    const t0 = performance.now()
    const report = await provisionClients(conn, { ...p, rows })
    const importS = (performance.now() - t0) / 1000
    // Every row's report checked against the chain.
    const state = await loadViewState(d.conn.publicClient, { clientStore: d.clientStore, userStore: d.userStore, deployBlock: d.deployBlock })
    const wrong = report.rows.filter((r) => (r.status === 'landed') !== (state.clientByEndpoint(r.endpoint)?.server.identity === `imp-srv-${r.row - 1}`)).length
    const sends = proxy.stats.byMethod.eth_sendRawTransaction ?? 0
    const rateLimited = proxy.stats.rateLimited
    const dropped = proxy.stats.dropped.length
    proxy.setRateLimit(undefined)
    const t1 = performance.now()
    const again = await provisionClients(conn, { ...p, rows })
    const rerunS = (performance.now() - t1) / 1000
    const row = {
      rows: n,
      landed: report.landed,
      failed: report.failed,
      wronglyReported: wrong,
      importS: Number(importS.toFixed(1)),
      rowsPerSec: Math.round(n / importS),
      sends,
      rateLimited,
      droppedTx: dropped,
      rerunLandedAlready: again.already,
      rerunSends: (proxy.stats.byMethod.eth_sendRawTransaction ?? 0) - sends,
      rerunS: Number(rerunS.toFixed(1)),
    }
    out.import = row
    log(`import: ${JSON.stringify(row)}`)
    await proxy.close()
  } finally {
    await anvil.stop()
  }
}

/** A cold start of N clients through the proxy (10,000-block and 10,000-result caps): time and bytes. */
async function coldStartPart(): Promise<void> {
  const anvil = await startAnvil({ args: ['--gas-limit', '300000000'] })
  try {
    const d = await givenDeployment(anvil.rpcUrl)
    const direct = { clientStore: d.clientStore, userStore: d.userStore, deployBlock: d.deployBlock, sealingPublicKey: d.sealingPublicKey, batchSize: 50 }
    const t0 = performance.now()
    // One import: chunks would each load the whole view again before sending (quadratic).
    let said = 0
    const onProgress = (done: number, total: number) => {
      if (done - said < total / 10 && done < total) return
      said = done
      log(`coldstart: provisioned ${done} / ${total} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
    }
    const report = await provisionClients(d.conn, { ...direct, rows: rowsOf('c', coldClients), onProgress })
    const reasons = new Map<string, number>()
    for (const r of report.rows) if (r.status === 'failed') reasons.set(r.error ?? '?', (reasons.get(r.error ?? '?') ?? 0) + 1)
    log(`coldstart: provisioned ${report.landed} of ${coldClients} clients in ${((performance.now() - t0) / 1000).toFixed(0)} s (${report.batches} batches)${reasons.size ? `; failed: ${JSON.stringify([...reasons])}` : ''}`)
    const proxy = await startRpcProxy({ upstream: anvil.rpcUrl })
    const conn = await connectChain({ rpcUrl: proxy.url })
    const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-cold-'))
    const view = createChainView({ publicClient: conn.publicClient, addresses: d, deployBlock: d.deployBlock, sealingPrivateKey: d.sealingPrivateKey, cursorFile: join(dir, 'view.json') })
    const t1 = performance.now()
    await view.start()
    const coldS = (performance.now() - t1) / 1000
    const row = {
      clients: view.clients().length,
      coldStartS: Number(coldS.toFixed(1)),
      logBytes: proxy.stats.logBytesOut,
      getLogsCalls: proxy.stats.byMethod.eth_getLogs ?? 0,
      resultCapped: proxy.stats.resultCapped,
      rangeCapped: proxy.stats.rangeCapped,
      bytesPerClient: Math.round(proxy.stats.logBytesOut / Math.max(1, view.clients().length)),
    }
    await view.stop()
    rmSync(dir, { recursive: true, force: true })
    out.coldStart = row
    log(`coldstart: ${JSON.stringify(row)}`)
    await proxy.close()
  } finally {
    await anvil.stop()
  }
}

/** Fee spike ×5 while a batch is pooled: anchoring resumes by replacement. */
async function feesPart(): Promise<void> {
  const anvil = await startAnvil()
  const rpc = rpcOf(anvil.rpcUrl)
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-fee-'))
  try {
    const d = await givenDeployment(anvil.rpcUrl)
    await rpc('anvil_setNextBlockBaseFeePerGas', ['0x' + (20_000_000_000n).toString(16)])
    await rpc('anvil_mine', ['0x1'])
    await rpc('evm_setAutomine', [false])
    const ledger = createAnomalyLedger({ conn: d.conn, address: d.anomalyStore, deployBlock: d.deployBlock, dataDir: dir, logger: silentLogger(), batchIntervalMs: 50, pollIntervalMs: 100, fees: { bumpAfterBlocks: 3 } })
    await ledger.start()
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.accept({ endpoint: 'fee', level: 1, data: { i } }).then((r) => r.id)))
    while (ledger.stats().inflight < 200) await sleep(50)
    let blocks = 0
    const t0 = performance.now()
    while (!ids.every((id) => ledger.get(id)?.status === 'anchored') && blocks < 30) {
      await rpc('anvil_setNextBlockBaseFeePerGas', ['0x' + (100_000_000_000n).toString(16)])
      await rpc('anvil_mine', ['0x1'])
      blocks++
      await sleep(400)
    }
    const landed = ids.every((id) => ledger.get(id)?.status === 'anchored')
    const tx = landed ? await d.conn.publicClient.getTransaction({ hash: ledger.get(ids[0])!.txHash as `0x${string}` }) : undefined
    await ledger.stop()
    const row = { spike: '×5 (20 → 100 gwei)', bumpAfterBlocks: 3, landed, blocksUntilFinal: blocks, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)), landedMaxFeeGwei: tx ? Number(tx.maxFeePerGas!) / 1e9 : undefined }
    out.fees = row
    log(`fees: ${JSON.stringify(row)}`)
  } finally {
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

for (const [name, run] of [['ledger', ledgerPart], ['import', importPart], ['coldstart', coldStartPart], ['fees', feesPart]] as const) {
  if (!want(name)) continue
  const t = performance.now()
  try {
    await run()
  } catch (err) {
    out[`${name}Error`] = (err as Error).message
    log(`${name}: FAILED: ${(err as Error).stack}`)
  }
  log(`${name}: ${((performance.now() - t) / 1000).toFixed(0)} s`)
  // Parts run alone add to the figures of earlier runs.
  const file = join(benchDir, 'out', 'network.json')
  mkdirSync(dirname(file), { recursive: true })
  const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  writeFileSync(file, JSON.stringify({ ...before, ...out }, null, 1) + '\n')
}
process.exit(0)
