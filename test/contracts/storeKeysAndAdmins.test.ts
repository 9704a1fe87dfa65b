import { parseEventLogs, toBytes, toHex, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientStoreAbi, userStoreAbi } from '../../src/chain/generated/contracts.js'
import { emailHash, usernameHash } from '../../src/chain/hashes.js'
import { generateSealingKeyPair, seal } from '../../src/chain/sealing.js'
import { clientRecord, givenDeployedStores, mined, revertOf, type ContractFixture } from './fixtures.js'

/** UserStore's admin count (the last admin stays), the sealing-key setters and the batch updates of both stores. */
let f: ContractFixture
beforeAll(async () => {
  f = await givenDeployedStores()
})
afterAll(async () => {
  await f?.anvil.stop()
})

const EMAIL_KEY = new Uint8Array(32).fill(3)
const users = () => ({ address: f.contracts.userStore, abi: userStoreAbi }) as const
const clients = () => ({ address: f.contracts.clientStore, abi: clientStoreAbi }) as const
const readU = (functionName: string, args?: readonly unknown[]) => f.publicClient.readContract({ ...users(), functionName, args } as never) as Promise<any>
const readC = (functionName: string, args?: readonly unknown[]) => f.publicClient.readContract({ ...clients(), functionName, args } as never) as Promise<any>
const writeU = (functionName: string, args: readonly unknown[]) => mined(f, f.deployer.writeContract({ ...users(), functionName, args } as never))
const user = (username: string, role: number) => ({
  username,
  role,
  emailHash: emailHash(`${username}@example.org`, EMAIL_KEY),
  emailSealed: toHex(seal(f.sealing.publicKey, toBytes(`${username}@example.org`), `lwchain:user:email:${username}`)),
  passwordSealed: toHex(seal(f.sealing.publicKey, new Uint8Array(40).fill(1), `lwchain:user:password:${username}`)),
})

describe('UserStore keeps at least one admin', () => {
  it('counts admins and refuses to remove or demote the last one', async () => {
    expect(await readU('adminCount')).toBe(0n)
    await writeU('addUser', [user('root', 1)])
    await writeU('addUser', [user('ops', 2)])
    expect(await readU('adminCount')).toBe(1n)
    const uh = usernameHash('root')
    expect(await revertOf(writeU('removeUser', ['root']))).toEqual({ errorName: 'LastAdmin', args: [uh] })
    expect(await revertOf(writeU('updateUser', [user('root', 2)]))).toEqual({ errorName: 'LastAdmin', args: [uh] })
    expect(await revertOf(writeU('updateUsers', [[user('root', 3)], [0n]]))).toEqual({ errorName: 'LastAdmin', args: [uh] })
    // A non-admin change is fine; a second admin makes the first one removable.
    await writeU('updateUser', [user('root', 1)])
    await writeU('updateUser', [user('ops', 1)])
    expect(await readU('adminCount')).toBe(2n)
    await writeU('updateUser', [user('root', 2)])
    expect(await readU('adminCount')).toBe(1n)
    expect(await revertOf(writeU('removeUser', ['ops']))).toEqual({ errorName: 'LastAdmin', args: [usernameHash('ops')] })
    await writeU('removeUser', ['root'])
    expect(await readU('adminCount')).toBe(1n)
    expect((await readU('getUser', [usernameHash('ops')])).role).toBe(1)
  })

  it('updates many accounts atomically: one bad record changes none', async () => {
    await writeU('addUser', [user('u1', 2)])
    await writeU('addUser', [user('u2', 2)])
    const receipt = await writeU('updateUsers', [[user('u1', 3), user('u2', 3)], [1n, 1n]])
    expect(parseEventLogs({ abi: userStoreAbi, logs: receipt.logs, eventName: 'UserUpdated' }).map((l) => l.args.version)).toEqual([2n, 2n])
    expect(await revertOf(writeU('updateUsers', [[user('u1', 2), user('ghost', 2)], [2n, 1n]]))).toEqual({ errorName: 'UserNotFound', args: [usernameHash('ghost')] })
    // Changed meanwhile (version 2, not 1): refused, so a re-seal never undoes a change.
    expect(await revertOf(writeU('updateUsers', [[user('u1', 2)], [1n]]))).toEqual({ errorName: 'VersionMismatch', args: [usernameHash('u1'), 1n, 2n] })
    expect((await revertOf(writeU('updateUsers', [[user('u1', 2)], []]))).errorName).toBe('InvalidRecord')
    expect((await readU('getUser', [usernameHash('u1')])).role).toBe(3)
  })
})

describe('sealing key setter', () => {
  for (const [name, read, store] of [
    ['ClientStore', readC, clients],
    ['UserStore', readU, users],
  ] as const) {
    it(`${name}: only an admin sets a new 32-byte key, announced in SealingKeyChanged`, async () => {
      const next = toHex(generateSealingKeyPair().publicKey)
      const err = await revertOf(f.stranger.writeContract({ ...store(), functionName: 'setSealingPublicKey', args: [next] } as never))
      expect(err).toEqual({ errorName: 'AccessControlUnauthorizedAccount', args: [f.stranger.account.address, `0x${'00'.repeat(32)}`] })
      expect((await revertOf(mined(f, f.deployer.writeContract({ ...store(), functionName: 'setSealingPublicKey', args: ['0x1234'] } as never)))).errorName).toBe('InvalidRecord')
      const receipt = await mined(f, f.deployer.writeContract({ ...store(), functionName: 'setSealingPublicKey', args: [next] } as never))
      const [log] = parseEventLogs({ abi: store().abi, logs: receipt.logs, eventName: 'SealingKeyChanged' })
      expect(log.args).toEqual({ publicKey: next })
      expect(await read('sealingPublicKey')).toBe(next)
    })
  }

  it('ClientStore updates many records atomically', async () => {
    const pk = f.sealing.publicKey
    const rs = [clientRecord(pk, 1), clientRecord(pk, 2)]
    await mined(f, f.deployer.writeContract({ ...clients(), functionName: 'addClients', args: [rs] }))
    const resealed = rs.map((r) => ({ ...r, serverKeySealed: toHex(seal(pk, new Uint8Array(16), `lwchain:client:server-psk:${r.endpoint}`)) as Hex }))
    const receipt = await mined(f, f.deployer.writeContract({ ...clients(), functionName: 'updateClients', args: [resealed, [1n, 1n]] }))
    expect(parseEventLogs({ abi: clientStoreAbi, logs: receipt.logs, eventName: 'ClientUpdated' })).toHaveLength(2)
    for (const r of resealed) expect(await readC('isCurrent', [r])).toBe(true)
    const ghost = clientRecord(pk, 3)
    expect((await revertOf(mined(f, f.deployer.writeContract({ ...clients(), functionName: 'updateClients', args: [[rs[0], ghost], [2n, 1n]] })))).errorName).toBe('ClientNotFound')
    expect(await readC('isCurrent', [resealed[0]])).toBe(true)
  })
})
