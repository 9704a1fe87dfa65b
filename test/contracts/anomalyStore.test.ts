import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { concat, encodeFunctionData, keccak256, parseAbi, parseEventLogs, toBytes, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anomalyStoreAbi } from '../../src/chain/generated/contracts.js'
import { buildBatch, decodeRecords } from '../../src/anomalies/merkle.js'
import { LEAF_TYPES, leafHashOf, leafValuesOf, type AnomalyRecord } from '../../src/anomalies/record.js'
import { contractRecordOf } from '../../src/anomalies/verifyRecord.js'
import { givenDeployedStores, mined, revertOf, type ContractFixture } from './fixtures.js'

let f: ContractFixture
beforeAll(async () => {
  f = await givenDeployedStores()
})
afterAll(async () => {
  await f?.anvil.stop()
})

const POSTER_ROLE = keccak256(toBytes('POSTER_ROLE'))
const store = () => ({ address: f.contracts.anomalyStore, abi: anomalyStoreAbi }) as const
const read = (functionName: string, args?: readonly unknown[]) =>
  f.publicClient.readContract({ ...store(), functionName, args } as never) as Promise<any>
const anchor = (root: Hex, count: number, records: Hex) =>
  mined(f, f.deployer.writeContract({ ...store(), functionName: 'anchorBatch', args: [root, count, records] }))

const records = (n: number, tag: string): AnomalyRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `${tag}-${i}`,
    endpoint: `urn:imei:35${String(i % 7).padStart(13, '0')}`,
    level: 1 + (i % 3),
    data: { temperature: 40 + i / 10, unit: 'Cel' },
    collectedAt: 1_700_000_000 + i,
  }))

describe('AnomalyStore', () => {
  it('anchors a batch: stores root, count, poster and time, and announces the records in BatchAnchored', async () => {
    const batch = buildBatch(records(5, 'a'))
    const receipt = await anchor(batch.root, 5, batch.encoded)
    const [log] = parseEventLogs({ abi: anomalyStoreAbi, logs: receipt.logs, eventName: 'BatchAnchored' })
    const block = await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })
    expect(log.args).toEqual({
      batchId: 1n,
      root: batch.root,
      count: 5,
      blockTime: block.timestamp,
      poster: f.deployer.account.address,
      records: batch.encoded,
    })
    expect(decodeRecords(log.args.records)).toEqual(batch.records)
    expect(await read('getBatch', [1n])).toEqual({ root: batch.root, poster: f.deployer.account.address, count: 5, blockTime: block.timestamp })
    expect(await read('batchRoot', [1n])).toBe(batch.root)
    expect(await read('batchCount')).toBe(1n)
  })

  it('builds the same root and proofs as OpenZeppelin StandardMerkleTree', () => {
    for (const n of [1, 2, 3, 8, 33]) {
      const rs = records(n, `oz${n}`)
      const mine = buildBatch(rs)
      const oz = StandardMerkleTree.of(rs.map(leafValuesOf), [...LEAF_TYPES])
      expect(mine.root).toBe(oz.root)
      rs.forEach((r, i) => {
        expect(mine.tree.proof(i)).toEqual(oz.getProof(i))
        expect(leafHashOf(r)).toBe(oz.leafHash(leafValuesOf(r)))
      })
    }
  })

  it('verifies every record of a batch on chain and refuses an altered one', async () => {
    const rs = records(33, 'v')
    const batch = buildBatch(rs)
    const receipt = await anchor(batch.root, rs.length, batch.encoded)
    const [log] = parseEventLogs({ abi: anomalyStoreAbi, logs: receipt.logs, eventName: 'BatchAnchored' })
    const id = log.args.batchId
    for (let i = 0; i < rs.length; i++) {
      expect(await read('verifyRecord', [id, contractRecordOf(rs[i]), batch.tree.proof(i)])).toBe(true)
    }
    const proof = batch.tree.proof(4)
    for (const altered of [{ ...rs[4], level: 3 - (rs[4].level % 3) }, { ...rs[4], data: { temperature: 1 } }, { ...rs[4], collectedAt: rs[4].collectedAt + 1 }]) {
      expect(await read('verifyRecord', [id, contractRecordOf(altered), proof])).toBe(false)
    }
    // the right proof in the wrong batch
    expect(await read('verifyRecord', [1n, contractRecordOf(rs[4]), proof])).toBe(false)
  })

  it('hashes the leaf on chain exactly as the tree does', async () => {
    for (const r of records(3, 'leaf')) expect(await read('leafOf', [contractRecordOf(r)])).toBe(leafHashOf(r))
  })

  it('never verifies an interior node of the tree, with its shorter proof, as a record', async () => {
    const rs = records(8, 'interior')
    const batch = buildBatch(rs)
    const receipt = await anchor(batch.root, rs.length, batch.encoded)
    const [log] = parseEventLogs({ abi: anomalyStoreAbi, logs: receipt.logs, eventName: 'BatchAnchored' })
    const id = log.args.batchId
    // The interior node above record 0 and its sibling, and the proof from there to the root.
    const full = batch.tree.proof(0)
    const sorted = (a: Hex, b: Hex): Hex => (Buffer.compare(Buffer.from(a.slice(2), 'hex'), Buffer.from(b.slice(2), 'hex')) <= 0 ? concat([a, b]) : concat([b, a]))
    const interior = keccak256(sorted(leafHashOf(rs[0]), full[0]))
    const shorter = full.slice(1)
    // The attack is real against a raw-leaf verifier: the node and the shorter proof rebuild the root.
    expect(shorter.reduce((node, sib) => keccak256(sorted(node, sib)), interior)).toBe(batch.root)
    // The old entry point (raw leaf) is gone: the call reverts, it never answers true.
    const oldAbi = parseAbi(['function verifyRecord(uint256 batchId, bytes32 leaf, bytes32[] proof) view returns (bool)'])
    const data = encodeFunctionData({ abi: oldAbi, functionName: 'verifyRecord', args: [id, interior, shorter] })
    await expect(f.publicClient.call({ to: f.contracts.anomalyStore, data })).rejects.toThrow(/revert/i)
    // Whatever record is presented, its leaf is hashed on chain, so the node's bytes do not help:
    // not as an id, not as the data, not with the node's own preimage (the two children) as data.
    const forged = [
      { ...rs[0], id: interior },
      { ...rs[0], data: interior },
      { id: 'x', endpoint: 'y', level: 1, collectedAt: 0, data: sorted(leafHashOf(rs[0]), full[0]) },
    ]
    for (const r of forged) {
      expect(await read('verifyRecord', [id, contractRecordOf(r), shorter])).toBe(false)
      expect(await read('verifyRecord', [id, contractRecordOf(r), full])).toBe(false)
    }
    // And the real record with its full proof still verifies.
    expect(await read('verifyRecord', [id, contractRecordOf(rs[0]), full])).toBe(true)
  })

  it('refuses a batch from an account without the poster role', async () => {
    const batch = buildBatch(records(1, 's'))
    const err = await revertOf(f.stranger.writeContract({ ...store(), functionName: 'anchorBatch', args: [batch.root, 1, batch.encoded] }))
    expect(err).toEqual({ errorName: 'AccessControlUnauthorizedAccount', args: [f.stranger.account.address, POSTER_ROLE] })
  })

  it('rejects malformed batches and unknown batch ids', async () => {
    const batch = buildBatch(records(1, 'm'))
    const zero = `0x${'00'.repeat(32)}` as Hex
    expect(await revertOf(anchor(zero, 1, batch.encoded))).toEqual({ errorName: 'InvalidAnomaly', args: ['empty root'] })
    expect(await revertOf(anchor(batch.root, 0, batch.encoded))).toEqual({ errorName: 'InvalidAnomaly', args: ['empty batch'] })
    expect(await revertOf(anchor(batch.root, 10_001, batch.encoded))).toEqual({ errorName: 'InvalidAnomaly', args: ['batch larger than 10000 records'] })
    expect(await revertOf(anchor(batch.root, 1, '0x'))).toEqual({ errorName: 'InvalidAnomaly', args: ['no records'] })
    const count: bigint = await read('batchCount')
    for (const id of [0n, count + 1n]) {
      expect(await revertOf(read('batchRoot', [id]))).toEqual({ errorName: 'BatchNotFound', args: [id] })
      expect(await revertOf(read('verifyRecord', [id, contractRecordOf(records(1, 'm')[0]), []]))).toEqual({ errorName: 'BatchNotFound', args: [id] })
    }
  })
})
