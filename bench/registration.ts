// Fig. 9: full bootstrap + registration of a fresh device over DTLS-PSK, chain-backed daemons vs the
// same daemons on an in-memory store seeded with the same records, at growing registry sizes.
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes, type Hex } from 'viem'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { runDeploy } from '../src/commands/deploy/run.js'
import { runServeBootstrap, type RunningBootstrap } from '../src/commands/serve/bootstrap.js'
import { runServeServer, type RunningServer } from '../src/commands/serve/server.js'
import { silentLogger } from '../src/logger.js'
import { createDevice } from '../src/simulator/device.js'
import { DEVICE_TIMERS } from '../test/e2e/system.js'
import { freeTcpPort } from '../test/helpers/ports.js'
import { provisionDirect, type Provisioned } from './lib/provision.js'
import { load1, stopWithin, summarize, type Summary } from './lib/stats.js'

export interface RegistrationRow {
  /** The size asked for. */
  nominal: number
  /** Devices actually on chain (at the smallest size the measured fresh devices exceed the nominal count). */
  provisioned: number
  chain: Summary
  memory: Summary
  /** median(chain) / median(memory). */
  ratio: number
  /** Seconds to provision this step's devices (addClients batches of 100) until both chain views saw them. */
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

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`gave up waiting ${ms} ms for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Runs Fig. 9 on one fresh embedded chain: for each size, provisions up to it and times `runs` fresh devices per store, alternating. */
export async function runRegistrationBench(o: { sizes: number[]; runs: number; log?: (m: string) => void; rows?: RegistrationRow[] }): Promise<RegistrationRow[]> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const log = o.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-reg-'))
  const chain = await startEmbeddedChain({ port: await freeTcpPort(), dataDir: join(dir, 'chain') })
  const cmd = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
  const logger = silentLogger()
  const stores: Store[] = ['chain', 'memory']
  const ports: Record<Store, [number, number]> = { chain: [await freeUdpPort(), await freeUdpPort()], memory: [await freeUdpPort(), await freeUdpPort()] }
  const uri = (p: number) => `coaps://127.0.0.1:${p}`
  // Filled as sizes complete, so a caller that gives up on a slow size keeps the finished ones.
  const rows: RegistrationRow[] = o.rows ?? []
  let provisioned = 0
  let serial = 0
  const chainDaemons: (RunningBootstrap | RunningServer)[] = []
  const all: Provisioned[] = []
  try {
    await runDeploy(cmd)
    // The chain-backed daemons run throughout, following the chain while devices are provisioned
    // (as in operation); their views fetch only new blocks at each 1 s poll.
    const chainBs = await runServeBootstrap({ ...cmd, logger, store: 'chain', port: ports.chain[0] })
    chainDaemons.push(chainBs)
    const chainSrv = await runServeServer({ ...cmd, logger, store: 'chain', cursorName: 'chain-srv.json', port: ports.chain[1], httpPort: 0, console: false })
    chainDaemons.push(chainSrv)
    for (const size of o.sizes) {
      // Filler devices up to `size - 2*(runs+1)`, then the fresh measured ones, half per store.
      const fresh = (o.runs + 1) * 2
      const fill = Math.max(0, size - provisioned - fresh)
      const inputs: { endpoint: string; bootstrapUri: string; serverUri: string }[] = []
      for (let i = 0; i < fill; i++) inputs.push({ endpoint: `fill-${serial++}`, bootstrapUri: uri(ports.chain[0]), serverUri: uri(ports.chain[1]) })
      const measured: Record<Store, string[]> = { chain: [], memory: [] }
      for (let i = 0; i <= o.runs; i++) {
        for (const s of stores) {
          const ep = `fresh-${s}-${serial++}`
          measured[s].push(ep)
          inputs.push({ endpoint: ep, bootstrapUri: uri(ports[s][0]), serverUri: uri(ports[s][1]) })
        }
      }
      // Steps of at most 2,000 (addClients batches of 100), each awaited in both chain views.
      const t0 = performance.now()
      for (let off = 0; off < inputs.length; off += 2000) {
        const step = await provisionDirect(cmd, inputs.slice(off, off + 2000))
        all.push(...step)
        const lastEp = step[step.length - 1].endpoint
        await waitFor(() => chainSrv.view!.clientByEndpoint(lastEp) !== undefined && chainBs.view!.clientByEndpoint(lastEp) !== undefined, 120_000, `the chain views to see ${lastEp}`)
      }
      const provisionS = (performance.now() - t0) / 1000
      provisioned = all.length
      const byEp = new Map<string, Provisioned>(all.map((r) => [r.endpoint, r]))
      log(`  fig9: ${provisioned} provisioned and seen by the chain views (${provisionS.toFixed(1)} s); starting in-memory daemons`)
      // The in-memory daemons are seeded with the same records (the `--clients` file of `serve --store memory`).
      const clientsFile = join(dir, `clients-${size}.json`)
      writeFileSync(clientsFile, JSON.stringify(all))
      const memDaemons: (RunningBootstrap | RunningServer)[] = []
      try {
        memDaemons.push(await runServeBootstrap({ ...cmd, logger, store: 'memory', clients: clientsFile, port: ports.memory[0] }))
        memDaemons.push(await runServeServer({ ...cmd, logger, store: 'memory', clients: clientsFile, port: ports.memory[1], httpPort: 0, console: false }))
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
        for (const d of memDaemons.reverse()) await stopWithin(`in-memory daemon of size ${size}`, () => d.stop())
      }
    }
    return rows
  } finally {
    for (const d of chainDaemons.reverse()) await stopWithin('chain-backed daemon', () => d.stop())
    await stopWithin('anvil', () => chain.stop())
    rmSync(dir, { recursive: true, force: true })
  }
}
