import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PublicClient } from 'viem'
import { fetchBatchEvents } from '../../src/chain/anomalies/fetchBatchEvents.js'
import { createAnomalyLedger, type AnomalyLedger, type CreateAnomalyLedgerOptions } from '../../src/anomalies/ledger.js'
import { decodeRecords } from '../../src/anomalies/merkle.js'
import type { AnomalyRecord } from '../../src/anomalies/record.js'
import { silentLogger } from '../../src/logger.js'
import { givenDeployment, type GivenDeployment } from '../chain/givenDeployment.js'
import { anvilBinary, startAnvil, waitForRpc, type TestAnvil } from '../helpers/anvil.js'
import { freeTcpPort } from '../helpers/ports.js'

/** A test anvil with the stores deployed and a scratch data dir. */
export interface LedgerChain {
  anvil: TestAnvil
  d: GivenDeployment
  dir: string
  logger: ReturnType<typeof silentLogger>
  close(): Promise<void>
}

/** Starts anvil (extra args, e.g. --state), deploys, makes a temp dir. */
export async function givenLedgerChain(args: string[] = []): Promise<LedgerChain> {
  const anvil = await startAnvil({ args })
  const d = await givenDeployment(anvil.rpcUrl)
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-anomalies-'))
  return {
    anvil,
    d,
    dir,
    logger: silentLogger(),
    async close() {
      await anvil.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A ledger on the test chain, its data in `name` under the chain's directory. */
export function ledgerOn(c: LedgerChain, name: string, extra: Partial<CreateAnomalyLedgerOptions> = {}): AnomalyLedger {
  return createAnomalyLedger({ conn: c.d.conn, address: c.d.anomalyStore, deployBlock: c.d.deployBlock, dataDir: join(c.dir, name), logger: c.logger, ...extra })
}

/** Every record in every BatchAnchored event, in chain order (duplicates kept). */
export async function anchoredOnChain(client: PublicClient, anomalyStore: `0x${string}`): Promise<AnomalyRecord[]> {
  const head = await client.getBlockNumber({ cacheTime: 0 })
  const events = await fetchBatchEvents(client, { anomalyStore, fromBlock: 0n, toBlock: head })
  return events.flatMap((e) => decodeRecords(e.records) ?? [])
}

/** An anvil on a fixed port that persists its state to a file, so it can be stopped and brought back. */
export interface StatefulAnvil {
  rpcUrl: string
  port: number
  /** Stops it (SIGTERM: anvil dumps its state). */
  stop(): Promise<void>
  /** Starts it again on the same port from the state file. */
  restart(): Promise<void>
}

/** Starts anvil on a free port with `--state <stateFile>`. */
export async function startStatefulAnvil(stateFile: string): Promise<StatefulAnvil> {
  const port = await freeTcpPort()
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    child = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', String(port), '--state', stateFile], { stdio: ['ignore', 'ignore', 'pipe'] })
    child.stderr?.resume()
    await waitForRpc(`http://127.0.0.1:${port}`, 20_000)
  }
  const stop = async (): Promise<void> => {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise<void>((res) => c.once('exit', () => res()))
    c.kill('SIGTERM')
    await exited
  }
  await start()
  return { rpcUrl: `http://127.0.0.1:${port}`, port, stop, restart: start }
}

/** Polls `check` until it holds (or fails after `timeoutMs`, a generous bound, not a performance claim). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}
