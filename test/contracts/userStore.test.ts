import { keccak256, parseEventLogs, toBytes, type Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userStoreAbi } from '../../src/chain/generated/contracts.js'
import { emailHash, userCommitment, usernameHash } from '../../src/chain/hashes.js'
import { seal } from '../../src/chain/sealing.js'
import { givenDeployedStores, mined, revertOf, type ContractFixture } from './fixtures.js'

let f: ContractFixture
let n = 0
beforeAll(async () => {
  f = await givenDeployedStores()
})
afterAll(async () => {
  await f?.anvil.stop()
})

const WRITER_ROLE = keccak256(toBytes('WRITER_ROLE'))
const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`

interface UserArgs {
  username: string
  role: number
  emailHash: Hex
  emailSealed: Hex
  passwordSealed: Hex
}

const EMAIL_KEY = new Uint8Array(32).fill(0x5a)

function fresh(over: Partial<UserArgs> & { email?: string } = {}): UserArgs {
  const username = over.username ?? `user${++n}`
  const email = over.email ?? `${username}@example.org`
  const { email: _, ...rest } = over
  return {
    username,
    role: 2,
    emailHash: emailHash(email, EMAIL_KEY),
    emailSealed: hex(seal(f.sealing.publicKey, new TextEncoder().encode(email), `lwchain:user:email:${username}`)),
    passwordSealed: hex(seal(f.sealing.publicKey, new Uint8Array(48).fill(7), `lwchain:user:password:${username}`)),
    ...rest,
  }
}

const store = () => ({ address: f.contracts.userStore, abi: userStoreAbi }) as const
const add = (r: UserArgs) => mined(f, f.deployer.writeContract({ ...store(), functionName: 'addUser', args: [r] }))
const update = (r: UserArgs) => mined(f, f.deployer.writeContract({ ...store(), functionName: 'updateUser', args: [r] }))
const remove = (u: string) => mined(f, f.deployer.writeContract({ ...store(), functionName: 'removeUser', args: [u] }))
const read = (functionName: string, args?: readonly unknown[]) =>
  f.publicClient.readContract({ ...store(), functionName, args } as never) as Promise<any>

describe('UserStore', () => {
  it('adds an account and announces the full record in UserAdded', async () => {
    const r = fresh({ role: 1 })
    const receipt = await add(r)
    const [log] = parseEventLogs({ abi: userStoreAbi, logs: receipt.logs, eventName: 'UserAdded' })
    expect(log.args).toEqual({ usernameHash: usernameHash(r.username), emailHash: r.emailHash, version: 1n, record: r })
    const entry = await read('getUser', [usernameHash(r.username)])
    expect(entry).toMatchObject({ commitment: userCommitment(r), role: 1, version: 1n })
    expect(entry.updatedAt).toBeGreaterThan(0n)
    expect(await read('isCurrent', [r])).toBe(true)
    expect(await read('isCurrent', [{ ...r, role: 2 }])).toBe(false)
  })

  it('finds an account by its e-mail hash, whatever the case and spaces of the address', async () => {
    const r = fresh({ email: 'Carol.Smith@Example.ORG' })
    await add(r)
    expect(await read('userOfEmail', [emailHash('  carol.smith@example.org ', EMAIL_KEY)])).toBe(usernameHash(r.username))
    const unknown = emailHash('nobody@example.org', EMAIL_KEY)
    expect(await revertOf(read('userOfEmail', [unknown]))).toEqual({ errorName: 'UserNotFound', args: [unknown] })
  })

  it('refuses writes from an account without the writer role', async () => {
    const r = fresh()
    const err = await revertOf(f.stranger.writeContract({ ...store(), functionName: 'addUser', args: [r] }))
    expect(err).toEqual({ errorName: 'AccessControlUnauthorizedAccount', args: [f.stranger.account.address, WRITER_ROLE] })
    await add(r)
    expect((await revertOf(f.stranger.writeContract({ ...store(), functionName: 'updateUser', args: [r] }))).errorName).toBe(
      'AccessControlUnauthorizedAccount',
    )
    expect((await revertOf(f.stranger.writeContract({ ...store(), functionName: 'removeUser', args: [r.username] }))).errorName).toBe(
      'AccessControlUnauthorizedAccount',
    )
  })

  it('cannot add a username or an e-mail twice', async () => {
    const r = fresh()
    await add(r)
    expect(await revertOf(add(fresh({ username: r.username, email: 'other@example.org' })))).toEqual({
      errorName: 'UserExists',
      args: [usernameHash(r.username)],
    })
    expect(await revertOf(add(fresh({ email: `${r.username}@example.org` })))).toEqual({ errorName: 'EmailTaken', args: [r.emailHash] })
  })

  it('rejects unknown roles and malformed records', async () => {
    for (const role of [0, 4, 255]) expect(await revertOf(add(fresh({ role })))).toEqual({ errorName: 'InvalidRole', args: [role] })
    expect(await revertOf(add(fresh({ username: '' })))).toEqual({ errorName: 'InvalidRecord', args: ['empty username'] })
    expect(await revertOf(add(fresh({ username: 'u'.repeat(256) })))).toEqual({
      errorName: 'InvalidRecord',
      args: ['username longer than 255 bytes'],
    })
    expect(await revertOf(add(fresh({ passwordSealed: '0x' })))).toEqual({
      errorName: 'InvalidRecord',
      args: ['empty sealed password verifier'],
    })
    expect(await revertOf(add(fresh({ emailSealed: '0x' })))).toEqual({ errorName: 'InvalidRecord', args: ['empty sealed e-mail'] })
  })

  it('updates role and e-mail: version 2, the old e-mail released', async () => {
    const r = fresh()
    await add(r)
    const changed = fresh({ username: r.username, role: 3, email: `new-${r.username}@example.org` })
    const receipt = await update(changed)
    const [log] = parseEventLogs({ abi: userStoreAbi, logs: receipt.logs, eventName: 'UserUpdated' })
    expect(log.args).toEqual({ usernameHash: usernameHash(r.username), emailHash: changed.emailHash, version: 2n, record: changed })
    expect(await read('getUser', [usernameHash(r.username)])).toMatchObject({ role: 3, version: 2n, commitment: userCommitment(changed) })
    expect(await read('userOfEmail', [changed.emailHash])).toBe(usernameHash(r.username))
    expect((await revertOf(read('userOfEmail', [r.emailHash]))).errorName).toBe('UserNotFound')
    await add(fresh({ email: `${r.username}@example.org` })) // the old address is free again
    const ghost = fresh()
    expect(await revertOf(update(ghost))).toEqual({ errorName: 'UserNotFound', args: [usernameHash(ghost.username)] })
  })

  it('removes an account: gone from reads and lists, e-mail freed, versions keep rising', async () => {
    const r = fresh()
    await add(r)
    const uh = usernameHash(r.username)
    const before = await read('userCount')
    const receipt = await remove(r.username)
    const [log] = parseEventLogs({ abi: userStoreAbi, logs: receipt.logs, eventName: 'UserRemoved' })
    expect(log.args).toEqual({ usernameHash: uh, version: 2n })
    expect(await read('userCount')).toBe(before - 1n)
    expect(await revertOf(read('getUser', [uh]))).toEqual({ errorName: 'UserNotFound', args: [uh] })
    expect((await revertOf(read('userOfEmail', [r.emailHash]))).errorName).toBe('UserNotFound')
    expect(await read('listUsers', [0n, 1000n])).not.toContain(uh)
    expect(await revertOf(remove(r.username))).toEqual({ errorName: 'UserNotFound', args: [uh] })
    await add(fresh({ username: r.username }))
    expect((await read('getUser', [uh])).version).toBe(3n)
  })

  it('lists accounts page by page', async () => {
    const total = Number(await read('userCount'))
    const all: string[] = await read('listUsers', [0n, 1000n])
    expect(all.length).toBe(total)
    expect(new Set(all).size).toBe(total)
    const pages: string[] = []
    for (let offset = 0; offset < total; offset += 2) pages.push(...(await read('listUsers', [BigInt(offset), 2n])))
    expect(pages).toEqual(all)
    expect(await read('listUsers', [BigInt(total), 2n])).toEqual([])
  })
})
