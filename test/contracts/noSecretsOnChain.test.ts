import { toHex, type Hex } from 'viem'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { clientStoreAbi, userStoreAbi } from '../../src/chain/generated/contracts.js'
import { emailHash, legacyEmailHash } from '../../src/chain/hashes.js'
import { seal } from '../../src/chain/sealing.js'
import { givenDeployedStores, mined, type ContractFixture } from './fixtures.js'

/**
 * The chain is public: calldata, events and storage must hold no PSK, e-mail address or password
 * material in clear. Writes real records and searches everything the chain recorded for them.
 */
let f: ContractFixture
beforeAll(async () => {
  f = await givenDeployedStores()
})
afterAll(async () => {
  await f?.anvil.stop()
})

const hex = (b: Uint8Array): Hex => toHex(b)

it('keeps PSKs, e-mails and password verifiers out of calldata, events and storage', async () => {
  const bsPsk = Buffer.from('5ec7e75ec7e75ec7e75ec7e75ec7e701', 'hex')
  const svPsk = Buffer.from('a11ce0a11ce0a11ce0a11ce0a11ce002', 'hex')
  const email = 'Dana.Secret@Example.org'
  const verifier = Buffer.from('scrypt$N=16384$salt$c0ffeec0ffeec0ffeec0ffee', 'utf8')
  const endpoint = 'urn:imei:359999999999999'
  const pk = f.sealing.publicKey
  const client = {
    endpoint,
    bootstrapUri: 'coaps://127.0.0.1:5784',
    bootstrapIdentity: 'bs-identity-secretless',
    bootstrapKeySealed: hex(seal(pk, bsPsk, `lwchain:client:bootstrap-psk:${endpoint}`)),
    serverUri: 'coaps://127.0.0.1:5684',
    serverIdentity: 'sv-identity-secretless',
    serverKeySealed: hex(seal(pk, svPsk, `lwchain:client:server-psk:${endpoint}`)),
  }
  const user = {
    username: 'dana',
    role: 1,
    emailHash: emailHash(email, new Uint8Array(32).fill(9)),
    emailSealed: hex(seal(pk, new TextEncoder().encode(email), 'lwchain:user:email:dana')),
    passwordSealed: hex(seal(pk, verifier, 'lwchain:user:password:dana')),
  }
  const receipts = [
    await mined(f, f.deployer.writeContract({ address: f.contracts.clientStore, abi: clientStoreAbi, functionName: 'addClient', args: [client] })),
    await mined(f, f.deployer.writeContract({ address: f.contracts.userStore, abi: userStoreAbi, functionName: 'addUser', args: [user] })),
  ]

  const recorded: string[] = []
  for (const r of receipts) {
    recorded.push((await f.publicClient.getTransaction({ hash: r.transactionHash })).input)
    for (const log of r.logs) recorded.push(log.data, ...log.topics)
    const diff = (await f.publicClient.request({
      method: 'debug_traceTransaction' as never,
      params: [r.transactionHash, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }] as never,
    })) as { post: Record<string, { storage?: Record<string, Hex> }> }
    const written = Object.values(diff.post).flatMap((a) => Object.values(a.storage ?? {}))
    expect(written.length).toBeGreaterThan(0)
    recorded.push(...written)
  }
  const haystack = recorded.map((h) => h.slice(2).toLowerCase()).join('|')
  const secrets: [string, Buffer][] = [
    ['bootstrap PSK', bsPsk],
    ['server PSK', svPsk],
    ['e-mail', Buffer.from(email)],
    ['lower-case e-mail', Buffer.from(email.toLowerCase())],
    ['e-mail local part', Buffer.from('Dana.Secret')],
    ['password verifier', verifier],
    ['password verifier digest', Buffer.from('c0ffeec0ffeec0ffeec0ffee', 'hex')],
    ['plain e-mail hash', Buffer.from(legacyEmailHash(email).slice(2), 'hex')],
  ]
  for (const [what, bytes] of secrets) {
    expect(haystack.includes(bytes.toString('hex')), what).toBe(false)
    expect(haystack.includes(Buffer.from(bytes.toString('hex')).toString('hex')), `${what} as hex text`).toBe(false)
  }
  // the search does find what is public, so it would have found a secret too
  expect(haystack.includes(Buffer.from(client.serverIdentity).toString('hex'))).toBe(true)
})
