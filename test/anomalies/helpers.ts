import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PublicClient } from 'viem'
import { fetchBatchEvents } from '../../src/chain/anomalies/fetchBatchEvents.js'
import { decodeRecords } from '../../src/anomalies/merkle.js'
import type { AnomalyRecord } from '../../src/anomalies/record.js'
import { silentLogger } from '../../src/logger.js'
import { givenDeployment, type GivenDeployment } from '../chain/givenDeployment.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'

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

/** Every record in every BatchAnchored event, in chain order (duplicates kept). */
export async function anchoredOnChain(client: PublicClient, anomalyStore: `0x${string}`): Promise<AnomalyRecord[]> {
  const head = await client.getBlockNumber()
  const events = await fetchBatchEvents(client, { anomalyStore, fromBlock: 0n, toBlock: head })
  return events.flatMap((e) => decodeRecords(e.records) ?? [])
}
