// Fig. 9: full bootstrap + registration of a fresh device over DTLS-PSK, chain-backed daemons vs the
// same daemons on an in-memory store seeded with the same records, at growing registry sizes.
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes, type Hex } from 'viem'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { runClientImport, type ImportRowResult } from '../src/commands/client/import.js'
import { runDeploy } from '../src/commands/deploy/run.js'
import { runServeBootstrap, type RunningBootstrap } from '../src/commands/serve/bootstrap.js'
import { runServeServer, type RunningServer } from '../src/commands/serve/server.js'
import { silentLogger } from '../src/logger.js'
import { createDevice } from '../src/simulator/device.js'
import { DEVICE_TIMERS, freePort } from '../test/e2e/system.js'
import { load1, summarize, type Summary } from './lib/stats.js'

export interface RegistrationRow {
  /** The size asked for. */
  nominal: number
  /** Devices actually on chain (at the smallest size the measured fresh devices exceed the nominal count). */
  provisioned: number
  chain: Summary
  memory: Summary
  /** median(chain) / median(memory). */
  ratio: number
  /** Seconds to provision this step's devices (addClients batches through `client import`). */
  provisionS: number
  load: number
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  const port = s.address().port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

type Store = 'chain' | 'memory'

/** Runs Fig. 9 on one fresh embedded chain: for each size, provisions up to it and times `runs` fresh devices per store, alternating. */
export async function runRegistrationBench(o: { sizes: number[]; runs: number; log?: (m: string) => void }): Promise<RegistrationRow[]> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const log = o.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-reg-'))
  const chain = await startEmbeddedChain({ port: await freePort(), dataDir: join(dir, 'chain') })
  const cmd = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
  const logger = silentLogger()
  const stores: Store[] = ['chain', 'memory']
  const ports: Record<Store, [number, number]> = { chain: [await freeUdpPort(), await freeUdpPort()], memory: [await freeUdpPort(), await freeUdpPort()] }
  const uri = (p: number) => `coaps://127.0.0.1:${p}`
  const rows: RegistrationRow[] = []
  let provisioned = 0
  let serial = 0
  try {
    await runDeploy(cmd)
    for (const size of o.sizes) {
      // Filler devices up to `size - 2*(runs+1)`, then the fresh measured ones, half per store.
      const fresh = (o.runs + 1) * 2
      const fill = Math.max(0, size - provisioned - fresh)
      const lines = ['endpoint,bootstrap_uri,server_uri']
      for (let i = 0; i < fill; i++) lines.push(`fill-${serial++},${uri(ports.chain[0])},${uri(ports.chain[1])}`)
      const measured: Record<Store, string[]> = { chain: [], memory: [] }
      for (let i = 0; i <= o.runs; i++) {
        for (const s of stores) {
          const ep = `fresh-${s}-${serial++}`
          measured[s].push(ep)
          lines.push(`${ep},${uri(ports[s][0])},${uri(ports[s][1])}`)
        }
      }
      const file = join(dir, `step-${size}.csv`)
      writeFileSync(file, lines.join('\n') + '\n')
      const t0 = performance.now()
      const report = await runClientImport(cmd, { file, batchSize: 100 })
      const provisionS = (performance.now() - t0) / 1000
      if (report.landed !== report.total) throw new Error(`only ${report.landed} of ${report.total} devices landed`)
      provisioned += report.total
      const byEp = new Map<string, ImportRowResult>(report.rows.map((r) => [r.endpoint, r]))
      log(`  fig9: ${provisioned} provisioned (${provisionS.toFixed(1)} s); starting daemons`)
      // Fresh daemons per size: the memory store is seeded from one sync, the chain one follows the live view.
      const daemons: (RunningBootstrap | RunningServer)[] = []
      try {
        for (const store of stores) {
          const common = { ...cmd, logger, store, cursorName: `${store}-bench-${size}.json` }
          daemons.push(await runServeBootstrap({ ...common, port: ports[store][0] }))
          daemons.push(await runServeServer({ ...common, port: ports[store][1], httpPort: 0, console: false }))
        }
        const times: Record<Store, number[]> = { chain: [], memory: [] }
        for (let i = 0; i <= o.runs; i++) {
          for (const store of i % 2 === 0 ? stores : [...stores].reverse()) {
            const added = byEp.get(measured[store][i])!
            const device = createDevice({
              endpoint: added.endpoint,
              bootstrap: { uri: added.bootstrap.uri, identity: added.bootstrap.identity, key: hexToBytes(`0x${added.bootstrap.key}` as Hex) },
              timers: DEVICE_TIMERS,
            })
            const t = performance.now()
            await device.start()
            const ms = performance.now() - t
            if (i > 0) times[store].push(ms) // the first round warms up the JIT and the daemons
            await device.stop()
          }
        }
        const chainS = summarize(times.chain)
        const memS = summarize(times.memory)
        rows.push({ nominal: size, provisioned, chain: chainS, memory: memS, ratio: Math.round((chainS.median / memS.median) * 1000) / 1000, provisionS: Math.round(provisionS * 100) / 100, load: load1() })
        log(`  fig9: ${provisioned}: chain ${chainS.median} ms, memory ${memS.median} ms`)
      } finally {
        for (const d of daemons.reverse()) await d.stop().catch(() => {})
      }
    }
    return rows
  } finally {
    await chain.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
