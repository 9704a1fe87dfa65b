import { afterAll, beforeAll, expect, it } from 'vitest'
import { clientStoreAbi } from '../../src/chain/generated/contracts.js'
import { clientRecord, givenDeployedStores, mined, type ContractFixture } from './fixtures.js'

/**
 * The paper's reference ClientStore scans every client on add: 203,060 gas with 1 client, 428,483
 * with 100, 1,408,083 with 500. Ours writes a fixed number of storage slots, so one add must cost
 * the same at 1, 100 and 1,000 existing clients, and at most a third of the reference at 100.
 */
const BUDGET = 142_000n
const CHECKPOINTS = [1, 100, 1000]

let f: ContractFixture
beforeAll(async () => {
  f = await givenDeployedStores()
})
afterAll(async () => {
  await f?.anvil.stop()
})

it('adds a client for the same gas at 1, 100 and 1,000 existing clients, within the budget', async () => {
  const store = { address: f.contracts.clientStore, abi: clientStoreAbi } as const
  let next = 0
  let count = 0
  const figures: Record<number, bigint> = {}
  let perRecordInBatch: bigint | undefined
  for (const target of CHECKPOINTS) {
    while (count < target) {
      const batch = Array.from({ length: Math.min(100, target - count) }, () => clientRecord(f.sealing.publicKey, ++next))
      const receipt = await mined(f, f.deployer.writeContract({ ...store, functionName: 'addClients', args: [batch], gas: 20_000_000n }))
      if (batch.length === 100 && perRecordInBatch === undefined) perRecordInBatch = receipt.gasUsed / 100n
      count += batch.length
    }
    expect(await f.publicClient.readContract({ ...store, functionName: 'clientCount' })).toBe(BigInt(count))
    const receipt = await mined(f, f.deployer.writeContract({ ...store, functionName: 'addClient', args: [clientRecord(f.sealing.publicKey, ++next)] }))
    figures[target] = receipt.gasUsed
    count += 1
  }
  console.log(`addClient gas at ${CHECKPOINTS.map((c) => `${c} existing: ${figures[c]}`).join(', ')} (budget ${BUDGET}); addClients of 100: ${perRecordInBatch} per record`)
  const moved = { ...clientRecord(f.sealing.publicKey, next), serverUri: 'coaps://10.0.0.2:5684', serverIdentity: `sv-moved-${next}` }
  const update = await mined(f, f.deployer.writeContract({ ...store, functionName: 'updateClient', args: [moved] }))
  const remove = await mined(f, f.deployer.writeContract({ ...store, functionName: 'removeClient', args: [clientRecord(f.sealing.publicKey, 1).endpoint] }))
  console.log(`at ${count} clients: updateClient (new server identity) ${update.gasUsed}, removeClient ${remove.gasUsed}`)
  const values = Object.values(figures)
  const min = values.reduce((a, b) => (a < b ? a : b))
  const max = values.reduce((a, b) => (a > b ? a : b))
  for (const v of values) expect(v).toBeLessThanOrEqual(BUDGET)
  expect(Number(max - min) / Number(min)).toBeLessThan(0.02)
})
