/**
 * `anomaly verify` on a deployment made before AnomalyStore.verifyRecord took the record: that
 * store's verifyRecord takes a raw leaf (which an interior node can satisfy), so it is not asked;
 * the leaf is hashed here from the record's fields and checked against the store's batchRoot.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex } from 'viem'
import { loadAnomalyIndex } from '../../src/anomalies/loadAnomalyIndex.js'
import { buildBatch } from '../../src/anomalies/merkle.js'
import type { AnomalyRecord } from '../../src/anomalies/record.js'
import { verifyRecord } from '../../src/anomalies/verifyRecord.js'
import { givenDeployedStores, mined, type ContractFixture } from '../contracts/fixtures.js'

/** The AnomalyStore of commit c02068b (raw-leaf verifyRecord), compiled with the project's solc. */
function compileOldStore(): { abi: readonly unknown[]; bytecode: Hex } {
  const source = execFileSync('git', ['show', 'c02068b:contracts/AnomalyStore.sol'], { encoding: 'utf8' })
  const require = createRequire(import.meta.url)
  const solc = require('solc')
  const input = {
    language: 'Solidity',
    sources: { 'AnomalyStore.sol': { content: source } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  }
  const out = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (path: string) => {
        try {
          return { contents: readFileSync(require.resolve(path), 'utf8') }
        } catch {
          return { error: `not found: ${path}` }
        }
      },
    }),
  )
  const c = out.contracts['AnomalyStore.sol'].AnomalyStore
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` }
}

describe.skipIf(!gitHas('c02068b'))('anomaly verify on an AnomalyStore from before records were hashed on chain', () => {
  let f: ContractFixture
  let old: `0x${string}`
  let abi: readonly unknown[]
  const records: AnomalyRecord[] = Array.from({ length: 5 }, (_, i) => ({ id: `old-${i}`, endpoint: 'dev-old', level: 2, data: { t: 40 + i }, collectedAt: 1_700_000_000 + i }))

  beforeAll(async () => {
    f = await givenDeployedStores()
    const compiled = compileOldStore()
    abi = compiled.abi
    const hash = await f.deployer.deployContract({ abi: abi as never, bytecode: compiled.bytecode })
    old = (await f.publicClient.waitForTransactionReceipt({ hash })).contractAddress!
    const batch = buildBatch(records)
    await mined(f, f.deployer.writeContract({ address: old, abi: abi as never, functionName: 'anchorBatch', args: [batch.root, records.length, batch.encoded] }))
  }, 120_000)

  afterAll(async () => {
    await f?.anvil.stop()
  })

  it('verifies its records against batchRoot with the leaf hashed from the fields, and refuses altered ones', async () => {
    const index = await loadAnomalyIndex(f.publicClient, { anomalyStore: old, deployBlock: 0n })
    const chain = { publicClient: f.publicClient, anomalyStore: old, requireContract: true }
    for (const r of records) expect(await verifyRecord(index, r, chain)).toMatchObject({ verdict: 'VALID', checkedBy: 'chain-root' })
    expect((await verifyRecord(index, { ...records[1], data: { t: 99 } }, chain)).verdict).toBe('INVALID')
  })
})

function gitHas(commit: string): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
