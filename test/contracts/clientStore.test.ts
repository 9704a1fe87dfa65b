import { decodeEventLog, keccak256, parseEventLogs, toBytes } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientStoreAbi } from '../../src/chain/generated/contracts.js'
import { clientCommitment, endpointHash, identityHash } from '../../src/chain/hashes.js'
import { clientRecord, givenDeployedStores, mined, revertOf, type ContractFixture } from './fixtures.js'
import type { OnChainClientRecord } from '../../src/chain/records/clientRecord.js'

let f: ContractFixture
let n = 0
beforeAll(async () => {
  f = await givenDeployedStores()
})
afterAll(async () => {
  await f?.anvil.stop()
})

const WRITER_ROLE = keccak256(toBytes('WRITER_ROLE'))

const fresh = (over: Partial<OnChainClientRecord> = {}) => clientRecord(f.sealing.publicKey, ++n, over)
const store = () => ({ address: f.contracts.clientStore, abi: clientStoreAbi }) as const
const add = (r: OnChainClientRecord) => mined(f, f.deployer.writeContract({ ...store(), functionName: 'addClient', args: [r] }))
const update = (r: OnChainClientRecord) => mined(f, f.deployer.writeContract({ ...store(), functionName: 'updateClient', args: [r] }))
const remove = (endpoint: string) => mined(f, f.deployer.writeContract({ ...store(), functionName: 'removeClient', args: [endpoint] }))
const read = <F extends 'getClient' | 'endpointOfIdentity' | 'isCurrent' | 'clientCount' | 'listClients' | 'sealingPublicKey' | 'hasRole'>(
  functionName: F,
  args?: readonly unknown[],
) => f.publicClient.readContract({ ...store(), functionName, args } as never) as Promise<any>

describe('ClientStore', () => {
  it('keeps the sealing public key and gives the deployer the writer role', async () => {
    expect(await read('sealingPublicKey')).toBe(`0x${Buffer.from(f.sealing.publicKey).toString('hex')}`)
    expect(await read('hasRole', [WRITER_ROLE, f.deployer.account.address])).toBe(true)
    expect(await read('hasRole', [WRITER_ROLE, f.stranger.account.address])).toBe(false)
  })

  it('adds a client and announces the full record in ClientAdded', async () => {
    const r = fresh()
    const receipt = await add(r)
    const [log] = parseEventLogs({ abi: clientStoreAbi, logs: receipt.logs, eventName: 'ClientAdded' })
    expect(log.args.endpointHash).toBe(endpointHash(r.endpoint))
    expect(log.args.bootstrapIdentityHash).toBe(identityHash(r.bootstrapIdentity))
    expect(log.args.serverIdentityHash).toBe(identityHash(r.serverIdentity))
    expect(log.args.version).toBe(1n)
    expect(log.args.record).toEqual(r)

    const entry = await read('getClient', [endpointHash(r.endpoint)])
    expect(entry.version).toBe(1n)
    expect(entry.commitment).toBe(clientCommitment(r))
    expect(await read('isCurrent', [r])).toBe(true)
    expect(await read('isCurrent', [{ ...r, serverUri: 'coaps://10.0.0.1:5684' }])).toBe(false)
  })

  it('finds the endpoint by either PSK identity', async () => {
    const r = fresh()
    await add(r)
    expect(await read('endpointOfIdentity', [identityHash(r.bootstrapIdentity)])).toBe(endpointHash(r.endpoint))
    expect(await read('endpointOfIdentity', [identityHash(r.serverIdentity)])).toBe(endpointHash(r.endpoint))
    const unknown = identityHash('nobody')
    expect(await revertOf(read('endpointOfIdentity', [unknown]))).toEqual({ errorName: 'ClientNotFound', args: [unknown] })
  })

  it('refuses a write from an account without the writer role', async () => {
    const r = fresh()
    const err = await revertOf(f.stranger.writeContract({ ...store(), functionName: 'addClient', args: [r] }))
    expect(err).toEqual({ errorName: 'AccessControlUnauthorizedAccount', args: [f.stranger.account.address, WRITER_ROLE] })
    await add(r)
    // Each write starts only when the previous one has been awaited: a rejecting promise created
    // ahead of its await is an unhandled rejection, which fails the whole run.
    const writes = [
      () => f.stranger.writeContract({ ...store(), functionName: 'updateClient', args: [r] }),
      () => f.stranger.writeContract({ ...store(), functionName: 'removeClient', args: [r.endpoint] }),
      () => f.stranger.writeContract({ ...store(), functionName: 'addClients', args: [[fresh()]] }),
    ]
    for (const write of writes) {
      expect((await revertOf(write())).errorName).toBe('AccessControlUnauthorizedAccount')
    }
  })

  it('cannot add the same endpoint twice', async () => {
    const r = fresh()
    await add(r)
    const again = fresh({ endpoint: r.endpoint })
    expect(await revertOf(add(again))).toEqual({ errorName: 'ClientExists', args: [endpointHash(r.endpoint)] })
  })

  it('cannot reuse a PSK identity of another client, on either side', async () => {
    const a = fresh()
    await add(a)
    const b1 = fresh({ bootstrapIdentity: a.bootstrapIdentity })
    expect(await revertOf(add(b1))).toEqual({ errorName: 'IdentityTaken', args: [identityHash(a.bootstrapIdentity)] })
    const b2 = fresh({ serverIdentity: a.bootstrapIdentity })
    expect(await revertOf(add(b2))).toEqual({ errorName: 'IdentityTaken', args: [identityHash(a.bootstrapIdentity)] })
    const b3 = fresh({ bootstrapIdentity: a.serverIdentity })
    expect(await revertOf(add(b3))).toEqual({ errorName: 'IdentityTaken', args: [identityHash(a.serverIdentity)] })
  })

  it('lets one client use the same identity for both servers', async () => {
    const r = fresh()
    const same = { ...r, serverIdentity: r.bootstrapIdentity }
    await add(same)
    expect(await read('endpointOfIdentity', [identityHash(r.bootstrapIdentity)])).toBe(endpointHash(r.endpoint))
  })

  it('rejects malformed records with InvalidRecord', async () => {
    const cases: [Partial<OnChainClientRecord>, string][] = [
      [{ endpoint: '' }, 'empty endpoint'],
      [{ endpoint: 'x'.repeat(256) }, 'endpoint longer than 255 bytes'],
      [{ bootstrapIdentity: '' }, 'empty bootstrap identity'],
      [{ serverIdentity: '' }, 'empty server identity'],
      [{ bootstrapKeySealed: '0x' }, 'empty sealed bootstrap key'],
      [{ serverKeySealed: '0x' }, 'empty sealed server key'],
    ]
    for (const [over, reason] of cases) {
      expect(await revertOf(add(fresh(over)))).toEqual({ errorName: 'InvalidRecord', args: [reason] })
    }
    await add(fresh({ endpoint: 'y'.repeat(255) }))
  })

  it('moves a client to another server: version 2, old identity released, new one bound', async () => {
    const r = fresh()
    await add(r)
    const moved = { ...fresh({ endpoint: r.endpoint, bootstrapIdentity: r.bootstrapIdentity }), serverUri: 'coaps://10.0.0.2:5684' }
    const receipt = await update(moved)
    const [log] = parseEventLogs({ abi: clientStoreAbi, logs: receipt.logs, eventName: 'ClientUpdated' })
    expect(log.args.version).toBe(2n)
    expect(log.args.record).toEqual(moved)
    expect(log.args.serverIdentityHash).toBe(identityHash(moved.serverIdentity))

    expect((await read('getClient', [endpointHash(r.endpoint)])).version).toBe(2n)
    expect(await read('isCurrent', [r])).toBe(false)
    expect(await read('isCurrent', [moved])).toBe(true)
    expect(await read('endpointOfIdentity', [identityHash(moved.serverIdentity)])).toBe(endpointHash(r.endpoint))
    expect(await read('endpointOfIdentity', [identityHash(r.bootstrapIdentity)])).toBe(endpointHash(r.endpoint))
    expect((await revertOf(read('endpointOfIdentity', [identityHash(r.serverIdentity)]))).errorName).toBe('ClientNotFound')
    // the released identity is free for another client
    await add(fresh({ serverIdentity: r.serverIdentity }))
  })

  it('cannot update a missing client or take another client identity on update', async () => {
    const ghost = fresh()
    expect(await revertOf(update(ghost))).toEqual({ errorName: 'ClientNotFound', args: [endpointHash(ghost.endpoint)] })
    const a = fresh()
    const b = fresh()
    await add(a)
    await add(b)
    const steal = { ...b, serverIdentity: a.serverIdentity }
    expect(await revertOf(update(steal))).toEqual({ errorName: 'IdentityTaken', args: [identityHash(a.serverIdentity)] })
  })

  it('removes a client: gone from reads and lists, identities freed, versions keep rising on re-add', async () => {
    const r = fresh()
    await add(r)
    const eh = endpointHash(r.endpoint)
    const before = await read('clientCount')
    const receipt = await remove(r.endpoint)
    const [log] = parseEventLogs({ abi: clientStoreAbi, logs: receipt.logs, eventName: 'ClientRemoved' })
    expect(log.args).toEqual({ endpointHash: eh, version: 2n })
    expect(await read('clientCount')).toBe(before - 1n)
    expect(await revertOf(read('getClient', [eh]))).toEqual({ errorName: 'ClientNotFound', args: [eh] })
    expect(await read('isCurrent', [r])).toBe(false)
    expect((await revertOf(read('endpointOfIdentity', [identityHash(r.bootstrapIdentity)]))).errorName).toBe('ClientNotFound')
    const all: string[] = await read('listClients', [0n, 10_000n])
    expect(all).not.toContain(eh)
    expect(await revertOf(remove(r.endpoint))).toEqual({ errorName: 'ClientNotFound', args: [eh] })

    // an identity of the removed client may go to someone else, and the endpoint may come back
    await add(fresh({ bootstrapIdentity: r.bootstrapIdentity }))
    const back = fresh({ endpoint: r.endpoint })
    const again = await add(back)
    const [added] = parseEventLogs({ abi: clientStoreAbi, logs: again.logs, eventName: 'ClientAdded' })
    expect(added.args.version).toBe(3n)
    expect((await read('getClient', [eh])).version).toBe(3n)
  })

  it('swap-and-pop keeps every other client listed and reachable', async () => {
    const rs = [fresh(), fresh(), fresh()]
    for (const r of rs) await add(r)
    await remove(rs[0].endpoint)
    const all: string[] = await read('listClients', [0n, 10_000n])
    expect(all.length).toBe(Number(await read('clientCount')))
    expect(new Set(all).size).toBe(all.length)
    for (const r of rs.slice(1)) {
      expect(all).toContain(endpointHash(r.endpoint))
      expect(await read('isCurrent', [r])).toBe(true)
      await remove(r.endpoint) // removing the moved entry works too
    }
    expect(await read('listClients', [0n, 10_000n])).toEqual(all.filter((h) => !rs.some((r) => endpointHash(r.endpoint) === h)))
  })

  it('adds a batch atomically: one bad record adds none', async () => {
    const ok = [fresh(), fresh()]
    const dup = fresh({ endpoint: ok[0].endpoint })
    const before = await read('clientCount')
    const err = await revertOf(f.deployer.writeContract({ ...store(), functionName: 'addClients', args: [[...ok, dup]] }))
    expect(err).toEqual({ errorName: 'ClientExists', args: [endpointHash(ok[0].endpoint)] })
    expect(await read('clientCount')).toBe(before)
    const receipt = await mined(f, f.deployer.writeContract({ ...store(), functionName: 'addClients', args: [ok] }))
    expect(receipt.logs.map((l) => decodeEventLog({ abi: clientStoreAbi, ...l }).eventName)).toEqual(['ClientAdded', 'ClientAdded'])
    expect(await read('clientCount')).toBe(before + 2n)
  })

  it('lists clients page by page', async () => {
    const total = Number(await read('clientCount'))
    const all: string[] = await read('listClients', [0n, BigInt(total)])
    expect(all.length).toBe(total)
    const pages: string[] = []
    for (let offset = 0; offset < total; offset += 3) pages.push(...(await read('listClients', [BigInt(offset), 3n])))
    expect(pages).toEqual(all)
    expect(await read('listClients', [BigInt(total), 5n])).toEqual([])
    expect(await read('listClients', [2n ** 255n, 5n])).toEqual([])
    expect(await read('listClients', [1n, 2n ** 256n - 1n])).toEqual(all.slice(1))
  })
})
