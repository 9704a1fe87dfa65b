// Scale figures: registrations per second sustained over DTLS-PSK and over plain UDP with many
// simulated devices (src/simulator/device.ts, registering directly with the server account), memory
// per registration on the server side (the server runs in its own process), and revocation latency.
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPublicClient, hexToBytes, http, type Hex } from 'viem'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { subscribeRpc, webSocketUrlOf } from '../src/chain/rpcSubscription.js'
import { runClientAdd } from '../src/commands/client/add.js'
import { runClientRemove } from '../src/commands/client/remove.js'
import { runDeploy } from '../src/commands/deploy/run.js'
import { runServeBootstrap } from '../src/commands/serve/bootstrap.js'
import { runServeServer } from '../src/commands/serve/server.js'
import { silentLogger } from '../src/logger.js'
import { createDevice, type Device } from '../src/simulator/device.js'
import { DEVICE_TIMERS, eventually } from '../test/e2e/system.js'
import { freeTcpPort } from '../test/helpers/ports.js'
import { scaleKey, type MemReport } from './scale-server.js'
import { load1, pct, stopWithin, summarize, type Summary } from './lib/stats.js'

export interface ScaleRow {
  transport: 'dtls' | 'udp'
  devices: number
  registered: number
  concurrency: number
  /** Whole run: N registrations / elapsed. */
  registrationsPerSec: number
  /** Per-window throughput (each window = `concurrency` registrations). */
  windowPerSec: Summary
  /** Per-registration latency under that load, ms. */
  latencyMs: Summary
  /** Server process heap / RSS growth divided by the registrations (registration + session + CoAP state), bytes. */
  heapBytesPerRegistration: number
  rssBytesPerRegistration: number
  externalBytesPerRegistration: number
  load: number
}

function request<T>(child: ChildProcess, m: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (r) => resolve(r as T))
    child.send(m)
  })
}

/** Registers `devices` simulated devices with a server in a child process, `concurrency` at a time. */
export async function runScaleBench(o: { transport: 'dtls' | 'udp'; devices: number; concurrency: number; log?: (m: string) => void }): Promise<ScaleRow> {
  const self = join(dirname(fileURLToPath(import.meta.url)), 'scale-server.ts')
  // Room for every device and the warm-up one: the server's default of 10,000 sessions refused
  // the last of 10,000 devices (handshake_failure), so the table showed 9,999 registered.
  const child = fork(self, [String(o.devices), o.transport, String(o.devices + 1)], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const devices: Device[] = []
  try {
    const { port } = await new Promise<{ port: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { port: number }))
      child.once('exit', (code) => reject(new Error(`scale server exited with ${code}`)))
    })
    const scheme = o.transport === 'dtls' ? 'coaps' : 'coap'
    const account = (i: number | string) => ({ uri: `${scheme}://127.0.0.1:${port}`, identity: `scale-${i}`, key: scaleKey(i) })
    const timers = { ...DEVICE_TIMERS, handshakeTimeoutMs: 10_000, ackTimeoutMs: 2_000 }
    const make = (i: number | string) => createDevice({ endpoint: `scale-${i}`, server: account(i), lifetime: 86_400, timers })
    // One device first, so module-level state of the server (JIT, codecs) is not counted per registration.
    const warm = make('warm')
    devices.push(warm)
    await warm.start()
    const before = await request<MemReport>(child, { type: 'mem' })
    const latency: number[] = []
    const windows: number[] = []
    const t0 = performance.now()
    for (let i = 0; i < o.devices; i += o.concurrency) {
      const w = performance.now()
      const batch = Array.from({ length: Math.min(o.concurrency, o.devices - i) }, (_, k) => make(i + k))
      devices.push(...batch)
      await Promise.all(
        batch.map(async (d) => {
          const t = performance.now()
          await d.start().catch(() => undefined)
          latency.push(performance.now() - t)
        }),
      )
      windows.push((batch.length * 1000) / (performance.now() - w))
      if ((i / o.concurrency) % 20 === 0) o.log?.(`  scale ${o.transport}: ${i + batch.length} / ${o.devices}`)
    }
    const elapsed = performance.now() - t0
    const after = await request<MemReport>(child, { type: 'mem' })
    const n = Math.max(1, after.registrations - before.registrations)
    const row: ScaleRow = {
      transport: o.transport,
      devices: o.devices,
      registered: after.registrations - before.registrations,
      concurrency: o.concurrency,
      registrationsPerSec: Math.round((o.devices * 1000) / elapsed),
      windowPerSec: summarize(windows),
      latencyMs: summarize(latency),
      heapBytesPerRegistration: Math.round((after.heapUsed - before.heapUsed) / n),
      rssBytesPerRegistration: Math.round((after.rss - before.rss) / n),
      externalBytesPerRegistration: Math.round((after.external - before.external) / n),
      load: load1(),
    }
    o.log?.(`  scale ${o.transport}: ${row.registrationsPerSec}/s, heap ${row.heapBytesPerRegistration} B/registration`)
    return row
  } finally {
    // Stop the server first: devices then give up de-registering after a short timeout, all at once.
    await Promise.race([request(child, { type: 'stop' }), new Promise((r) => setTimeout(r, 10_000))])
    child.kill()
    await Promise.all(devices.map((d) => d.stop().catch(() => undefined)))
  }
}

/** Revocation: `client remove` mined → the server dropped the registration and closed the session (the view follows newHeads; 1 s poll as the fallback). */
export async function runRevocationBench(o: { runs: number; log?: (m: string) => void }): Promise<{ afterMinedMs: Summary; afterCommandMs: Summary; pollIntervalMs: number; afterMinedP99Ms: number; followedBy: string }> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-revoke-'))
  const chain = await startEmbeddedChain({ port: await freeTcpPort(), dataDir: join(dir, 'chain') })
  const cmd = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
  const logger = silentLogger()
  try {
    await runDeploy(cmd)
    const bs = await runServeBootstrap({ ...cmd, logger, port: 0 })
    const srv = await runServeServer({ ...cmd, logger, port: 0, httpPort: 0, console: false })
    const afterMined: number[] = []
    const afterCommand: number[] = []
    let subscribed = false
    // When each block reached a newHeads subscriber of our own: "mined" is when the chain told
    // its subscribers, not when `client remove` noticed (its receipt poll is later, by up to its
    // interval, which once made the figure negative).
    const headSeenAt = new Map<bigint, number>()
    const heads = subscribeRpc({ url: webSocketUrlOf(chain.rpcUrl)!, params: ['newHeads'], onData: (h) => headSeenAt.set(BigInt((h as { number: Hex }).number), performance.now()), logger })
    const client = createPublicClient({ transport: http(chain.rpcUrl) })
    await eventually(() => heads.subscribed())
    try {
      for (let i = 0; i < o.runs; i++) {
        const ep = `revoke-${i}`
        const { result } = await runClientAdd(cmd, { endpoint: ep, bootstrapUri: bs.url, serverUri: srv.url })
        await eventually(() => srv.view!.clientByEndpoint(ep) !== undefined && bs.view!.clientByEndpoint(ep) !== undefined)
        const device = createDevice({
          endpoint: ep,
          bootstrap: { uri: result.bootstrap.uri, identity: result.bootstrap.identity, key: hexToBytes(`0x${result.bootstrap.key}` as Hex) },
          timers: DEVICE_TIMERS,
        })
        await device.start()
        const gone = new Promise<number>((resolve) => {
          const on = (reg: { endpoint: string }, reason: string) => {
            if (reg.endpoint !== ep || reason !== 'revoked') return
            srv.daemon.events.off('deregistered', on)
            resolve(performance.now())
          }
          srv.daemon.events.on('deregistered', on)
        })
        const t0 = performance.now()
        const { txHash } = await runClientRemove(cmd, ep) // resolves once the transaction is mined
        const t1 = await Promise.race([gone, new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`${ep} not revoked within 30 s`)), 30_000))])
        const { blockNumber } = await client.getTransactionReceipt({ hash: txHash })
        await eventually(() => headSeenAt.has(blockNumber))
        const mined = headSeenAt.get(blockNumber)!
        afterCommand.push(t1 - t0)
        afterMined.push(t1 - mined)
        await device.stop()
        o.log?.(`  revocation ${i + 1}/${o.runs}: ${(t1 - mined).toFixed(0)} ms after mined`)
        subscribed = srv.view?.lag().subscribed === true
      }
    } finally {
      await heads.stop()
      await stopWithin('serve server', () => srv.stop())
      await stopWithin('serve bootstrap', () => bs.stop())
    }
    return {
      afterMinedMs: summarize(afterMined),
      afterCommandMs: summarize(afterCommand),
      pollIntervalMs: 1000,
      afterMinedP99Ms: Math.round(pct(afterMined, 99) * 100) / 100,
      followedBy: subscribed ? 'newHeads subscription over ws:// (poll 1 s as the fallback)' : 'poll every 1 s (no subscription)',
    }
  } finally {
    await stopWithin('anvil', () => chain.stop())
    rmSync(dir, { recursive: true, force: true })
  }
}
