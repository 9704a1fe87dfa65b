/**
 * Measures the full bootstrap + register latency of one device (fresh DTLS handshakes at both
 * daemons), chain-backed daemons vs the same daemons on `--store memory`. Not a test (no timed
 * assertions in the suite): run with `npx tsx test/e2e/measure-latency.ts [runs]`.
 */
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes, type Hex } from 'viem'
import { startEmbeddedChain } from '../../src/chain/anvil.js'
import { runClientAdd, type ClientAddResult } from '../../src/commands/client/add.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runServeBootstrap } from '../../src/commands/serve/bootstrap.js'
import { runServeServer } from '../../src/commands/serve/server.js'
import { silentLogger } from '../../src/logger.js'
import { createDevice } from '../../src/simulator/device.js'
import { DEVICE_TIMERS, freePort } from './system.js'

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  const port = s.address().port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** Median of a non-empty list. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Milliseconds of each measured bootstrap+register, per store (the warm-up round excluded). */
export interface LatencyResult {
  chain: number[]
  memory: number[]
}

/** Runs the side-by-side measurement on a fresh embedded chain; `runs` devices per store. */
export async function measureBootstrapRegisterLatency(runs = 7): Promise<LatencyResult> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-latency-'))
  const chain = await startEmbeddedChain({ port: await freePort(), dataDir: join(dir, 'chain') })
  const cmd = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
  const logger = silentLogger()
  try {
    await runDeploy(cmd)
    // Both pairs of daemons run side by side on their own ports; devices alternate between them so
    // that JIT warm-up and machine load fall on both alike.
    const stores = ['chain', 'memory'] as const
    const ports = { chain: [await freeUdpPort(), await freeUdpPort()], memory: [await freeUdpPort(), await freeUdpPort()] }
    const devices: Record<'chain' | 'memory', ClientAddResult[]> = { chain: [], memory: [] }
    for (let i = 0; i <= runs; i++) {
      for (const store of stores) {
        const [bsPort, srvPort] = ports[store]
        const { result } = await runClientAdd(cmd, {
          endpoint: `lat-${store}-${i}`,
          bootstrapUri: `coaps://127.0.0.1:${bsPort}`,
          serverUri: `coaps://127.0.0.1:${srvPort}`,
        })
        devices[store].push(result)
      }
    }
    const daemons = []
    for (const store of stores) {
      // Chain-backed: live ChainView (default 1 s poll, as `serve` runs it); memory: seeded once from one sync.
      const common = { ...cmd, logger, store, cursorName: `${store}-latency.json` }
      daemons.push(await runServeBootstrap({ ...common, port: ports[store][0] }))
      daemons.push(await runServeServer({ ...common, port: ports[store][1], httpPort: 0 }))
    }
    const results: LatencyResult = { chain: [], memory: [] }
    for (let i = 0; i <= runs; i++) {
      for (const store of i % 2 === 0 ? stores : ([...stores].reverse() as typeof stores[number][])) {
        const added = devices[store][i]
        const device = createDevice({
          endpoint: added.endpoint,
          bootstrap: { uri: added.bootstrap.uri, identity: added.bootstrap.identity, key: hexToBytes(`0x${added.bootstrap.key}` as Hex) },
          timers: DEVICE_TIMERS,
        })
        const t0 = performance.now()
        await device.start()
        const ms = performance.now() - t0
        if (i > 0) results[store].push(ms) // the first round warms up the JIT
        await device.stop()
      }
    }
    await Promise.allSettled(daemons.map((d) => d.stop()))
    return results
  } finally {
    await chain.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await measureBootstrapRegisterLatency(Number(process.argv[2] ?? 7))
  for (const [store, times] of Object.entries(results) as [string, number[]][]) {
    console.log(`${store.padEnd(6)} median ${median(times).toFixed(1)} ms  (runs: ${times.map((t) => t.toFixed(1)).join(', ')})`)
  }
}
