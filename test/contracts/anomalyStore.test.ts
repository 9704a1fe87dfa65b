import { createTestClient, http, keccak256, parseEventLogs, toBytes, toHex } from 'viem'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anomalyStoreAbi } from '../../src/chain/generated/contracts.js'
import { endpointHash } from '../../src/chain/hashes.js'
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
const post = (endpoint: string, level: number, collectedAt: bigint, data: string) =>
  mined(f, f.deployer.writeContract({ ...store(), functionName: 'postAnomaly', args: [endpoint, level, collectedAt, toHex(data)] }))
const read = (functionName: string, args?: readonly unknown[]) =>
  f.publicClient.readContract({ ...store(), functionName, args } as never) as Promise<any>

describe('AnomalyStore', () => {
  it('posts anomalies with ids from 1 and announces endpoint and data in AnomalyPosted', async () => {
    const data = JSON.stringify({ temperature: 91.5 })
    const receipt = await post('urn:imei:350000000000001', 3, 1_700_000_000n, data)
    const [log] = parseEventLogs({ abi: anomalyStoreAbi, logs: receipt.logs, eventName: 'AnomalyPosted' })
    expect(log.args).toEqual({
      id: 1n,
      endpointHash: endpointHash('urn:imei:350000000000001'),
      level: 3,
      collectedAt: 1_700_000_000n,
      dataHash: keccak256(toHex(data)),
      poster: f.deployer.account.address,
      endpoint: 'urn:imei:350000000000001',
      data: toHex(data),
    })
    const block = await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })
    expect(await read('getAnomaly', [1n])).toEqual({
      endpointHash: endpointHash('urn:imei:350000000000001'),
      dataHash: keccak256(toHex(data)),
      collectedAt: 1_700_000_000n,
      blockTime: block.timestamp,
      level: 3,
      poster: f.deployer.account.address,
    })
    const second = await post('urn:imei:350000000000002', 1, 1_700_000_001n, '{}')
    expect(parseEventLogs({ abi: anomalyStoreAbi, logs: second.logs, eventName: 'AnomalyPosted' })[0].args.id).toBe(2n)
    expect(await read('anomalyCount')).toBe(2n)
  })

  it('refuses a post from an account without the poster role', async () => {
    const err = await revertOf(
      f.stranger.writeContract({ ...store(), functionName: 'postAnomaly', args: ['ep', 1, 0n, toHex('{}')] }),
    )
    expect(err).toEqual({ errorName: 'AccessControlUnauthorizedAccount', args: [f.stranger.account.address, POSTER_ROLE] })
  })

  it('rejects malformed anomalies and unknown ids', async () => {
    expect(await revertOf(post('', 1, 0n, '{}'))).toEqual({ errorName: 'InvalidAnomaly', args: ['empty endpoint'] })
    expect(await revertOf(post('e'.repeat(256), 1, 0n, '{}'))).toEqual({
      errorName: 'InvalidAnomaly',
      args: ['endpoint longer than 255 bytes'],
    })
    expect(await revertOf(post('ep', 1, 0n, ''))).toEqual({ errorName: 'InvalidAnomaly', args: ['empty data'] })
    const count = await read('anomalyCount')
    for (const id of [0n, count + 1n]) {
      expect(await revertOf(read('getAnomaly', [id]))).toEqual({ errorName: 'AnomalyNotFound', args: [id] })
    }
  })

  it('lists anomalies overall and per endpoint, page by page', async () => {
    for (let i = 0; i < 5; i++) await post(i % 2 ? 'odd' : 'even', 2, BigInt(i), `{"i":${i}}`)
    const count = await read('anomalyCount')
    const all = await read('listAnomalies', [0n, 1000n])
    expect(all).toEqual(Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1)))
    expect(await read('listAnomalies', [1n, 2n])).toEqual([2n, 3n])
    expect(await read('listAnomalies', [count, 2n])).toEqual([])
    expect(await read('countByEndpoint', [endpointHash('even')])).toBe(3n)
    expect(await read('countByEndpoint', [endpointHash('nobody')])).toBe(0n)
    const even = await read('listByEndpoint', [endpointHash('even'), 0n, 1000n])
    expect(even).toHaveLength(3)
    expect(await read('listByEndpoint', [endpointHash('even'), 1n, 1n])).toEqual([even[1]])
    expect(await read('listByEndpoint', [endpointHash('even'), 3n, 1n])).toEqual([])
    for (const id of even) expect((await read('getAnomaly', [id])).endpointHash).toBe(endpointHash('even'))
  })

  it('finds the ids in a block-time range by binary search', async () => {
    const test = createTestClient({ mode: 'anvil', chain: foundry, transport: http(f.anvil.rpcUrl) })
    const latest = await f.publicClient.getBlock()
    const t0 = latest.timestamp + 1000n
    const ids: bigint[] = []
    const postAt = async (t: bigint) => {
      await test.setNextBlockTimestamp({ timestamp: t })
      const r = await post('timed', 1, t0, '{}')
      ids.push(parseEventLogs({ abi: anomalyStoreAbi, logs: r.logs, eventName: 'AnomalyPosted' })[0].args.id)
    }
    await postAt(t0)
    await postAt(t0 + 10n)
    // two anomalies in one block share a block time; a range must hold both
    await test.setAutomine(false)
    await test.setNextBlockTimestamp({ timestamp: t0 + 20n })
    const pending = [
      await f.deployer.writeContract({ ...store(), functionName: 'postAnomaly', args: ['timed', 1, t0, toHex('{}')] }),
      await f.deployer.writeContract({ ...store(), functionName: 'postAnomaly', args: ['timed', 1, t0, toHex('{}')] }),
    ]
    await test.mine({ blocks: 1 })
    await test.setAutomine(true)
    for (const hash of pending) {
      const r = await f.publicClient.waitForTransactionReceipt({ hash })
      ids.push(parseEventLogs({ abi: anomalyStoreAbi, logs: r.logs, eventName: 'AnomalyPosted' })[0].args.id)
    }
    await postAt(t0 + 30n)
    const times = await Promise.all(ids.map(async (id) => (await read('getAnomaly', [id])).blockTime as bigint))
    const inRange = async (from: bigint, to: bigint) => {
      const first: bigint = await read('firstIdAtOrAfter', [from])
      const end: bigint = await read('firstIdAtOrAfter', [to + 1n])
      const out: bigint[] = []
      for (let id = first; id < end; id++) out.push(id)
      return out
    }
    expect(await inRange(times[0], times[0])).toEqual([ids[0]])
    expect(times[2]).toBe(times[3])
    expect(await inRange(t0 + 1n, t0 + 20n)).toEqual([ids[1], ids[2], ids[3]])
    expect(await inRange(t0 + 20n, t0 + 20n)).toEqual([ids[2], ids[3]])
    expect(await inRange(t0 + 11n, t0 + 19n)).toEqual([])
    expect(await inRange(times[0], times[4])).toEqual(ids)
    expect(await inRange(times[4] + 1n, times[4] + 100n)).toEqual([])
    expect(await read('firstIdAtOrAfter', [0n])).toBe(1n)
    expect(await read('firstIdAtOrAfter', [2n ** 64n - 1n])).toBe((await read('anomalyCount')) + 1n)
  })
})
