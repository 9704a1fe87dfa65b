// Cold and warm start with N provisioned clients: `client import` of N generated devices into a
// fresh chain (timed: provisioning.import_100k_s), one `client add` whose credentials probe the
// server, then `serve server` (chain-backed) started in a fresh process twice: without a view
// snapshot (it reads and unseals every ClientStore event) and with the snapshot the first run left.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { runClientAdd } from '../src/commands/client/add.js'
import { runClientImport } from '../src/commands/client/import.js'
import { runDeploy } from '../src/commands/deploy/run.js'
import { load1, stopWithin } from './lib/stats.js'

const here = dirname(fileURLToPath(import.meta.url))

export interface ColdStartResult {
  clients: number
  importSeconds: number
  importLoad: number
  /** From runServeServer() to the first handshake answered, no snapshot / with it (ms). */
  coldStartMs: number
  warmStartMs: number
  /** Including the node process start (spawn → answered). */
  coldSpawnMs: number
  warmSpawnMs: number
  coldListeningMs: number
  warmListeningMs: number
  load: number
}

function start(args: string[], timeoutS: number): Promise<{ spawnMs: number; listeningMs: number; firstHandshakeMs: number }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'coldstart-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    let spawnMs = 0
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000)
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString()
      if (!spawnMs && out.includes('\n')) spawnMs = Math.round(performance.now() - t0)
    })
    // Resolved once the server stopped (it persisted its snapshot): the next start must not overlap it.
    child.on('exit', (code) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve({ spawnMs, ...JSON.parse(line) })
      else reject(new Error(`serve server start exited with ${code} before answering a handshake`))
    })
  })
}

export async function runColdStartBench(o: { clients: number; timeoutS: number; log?: (m: string) => void }): Promise<ColdStartResult> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-cold-'))
  const chain = await startEmbeddedChain({ port: 0, dataDir: join(dir, 'chain') })
  try {
    const cmd = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
    await runDeploy(cmd)
    const file = join(dir, 'clients.csv')
    writeFileSync(file, 'endpoint\n' + Array.from({ length: o.clients }, (_, i) => `cold-${i}`).join('\n') + '\n')
    const t0 = performance.now()
    let lastLog = 0
    const report = await runClientImport(cmd, {
      file,
      onProgress: (done, total) => {
        if (Date.now() - lastLog > 15_000) {
          lastLog = Date.now()
          o.log?.(`  coldstart: imported ${done} / ${total} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
        }
      },
    })
    const importSeconds = Math.round(performance.now() - t0) / 1000
    const importLoad = load1()
    if (report.landed !== o.clients) throw new Error(`only ${report.landed} of ${o.clients} clients landed`)
    o.log?.(`  coldstart: client import of ${o.clients}: ${importSeconds} s`)
    const { result } = await runClientAdd(cmd, { endpoint: 'cold-probe' })
    const probe = [cmd.configDir, chain.rpcUrl, result.server.identity, result.server.key]
    if (existsSync(join(cmd.configDir, 'server-view.json'))) rmSync(join(cmd.configDir, 'server-view.json'))
    const cold = await start(probe, o.timeoutS)
    o.log?.(`  coldstart: cold ${cold.firstHandshakeMs} ms (listening after ${cold.listeningMs} ms)`)
    const warm = await start(probe, o.timeoutS)
    o.log?.(`  coldstart: warm ${warm.firstHandshakeMs} ms (listening after ${warm.listeningMs} ms)`)
    return {
      clients: o.clients,
      importSeconds,
      importLoad,
      coldStartMs: cold.firstHandshakeMs,
      warmStartMs: warm.firstHandshakeMs,
      coldSpawnMs: cold.spawnMs,
      warmSpawnMs: warm.spawnMs,
      coldListeningMs: cold.listeningMs,
      warmListeningMs: warm.listeningMs,
      load: load1(),
    }
  } finally {
    await stopWithin('anvil', () => chain.stop())
    rmSync(dir, { recursive: true, force: true })
  }
}

if (/coldstart\.[tj]s$/.test(process.argv[1] ?? '')) {
  runColdStartBench({ clients: Number(process.argv[2] ?? 100_000), timeoutS: 300, log: console.log }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 1))
      process.exit(0)
    },
    (err) => {
      console.error(err)
      process.exit(1)
    },
  )
}
