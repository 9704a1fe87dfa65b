import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hexToBytes, type Hex } from 'viem'
import { connectChain } from '../../src/chain/connectChain.js'
import { legacyEmailHash } from '../../src/chain/hashes.js'
import { loadProfile, readSealingKey } from '../../src/chain/profile.js'
import { openValue } from '../../src/chain/records/sealValue.js'
import { loadViewState } from '../../src/chain/view/loadViewState.js'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runClientImport } from '../../src/commands/client/import.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { runUserUpdate } from '../../src/commands/user/update.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'

/** Every form in which a secret could show up: its bytes, and its hex as text (either case). */
function forms(secret: Uint8Array): Buffer[] {
  const raw = Buffer.from(secret)
  const hex = raw.toString('hex')
  return [raw, Buffer.from(hex), Buffer.from(hex.toUpperCase())]
}

describe('no secret appears anywhere on chain', () => {
  let anvil: TestAnvil
  let dir: string
  const secrets: { what: string; value: Uint8Array }[] = []
  const publicValues: { what: string; value: Uint8Array }[] = []
  const text = (s: string) => new TextEncoder().encode(s)

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-leak-'))
    const o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)

    // Clients: generated binary keys, generated printable keys, user-given keys, a batch import.
    const added = [
      (await runClientAdd(o, { endpoint: 'leak-1' })).result,
      (await runClientAdd(o, { endpoint: 'leak-2', printableKeys: true })).result,
      (await runClientAdd(o, { endpoint: 'leak-3', bsKey: 'c0ffee00c0ffee00c0ffee00c0ffee00', serverKey: '5ec2e75ec2e75ec2e75ec2e75ec2e7aa' })).result,
    ]
    const csv = join(dir, 'import.csv')
    writeFileSync(csv, 'endpoint\n' + Array.from({ length: 12 }, (_, i) => `leak-bulk-${i}`).join('\n') + '\n')
    const report = await runClientImport(o, { file: csv, batchSize: 5 })
    for (const c of [...added, ...report.rows]) {
      for (const side of [c.bootstrap, c.server]) {
        secrets.push({ what: `PSK of ${c.endpoint}`, value: Buffer.from(side.key, 'hex') })
        publicValues.push({ what: `identity of ${c.endpoint}`, value: text(side.identity) })
      }
    }

    // Users: generated and given passwords, e-mails (also after an update).
    const alice = await runUserAdd(o, { username: 'alice', email: 'Alice.Secret@Example.com', role: 'admin' })
    await runUserAdd(o, { username: 'app', email: 'app-owner@example.org', role: 'application', password: 'Tr0ub4dor&3-given' })
    await runUserUpdate(o, { username: 'app', email: 'new-owner@example.net', password: 'another-Passw0rd' })
    for (const p of [alice.password!, 'Tr0ub4dor&3-given', 'another-Passw0rd']) secrets.push({ what: 'password', value: text(p) })
    for (const e of ['Alice.Secret@Example.com', 'alice.secret@example.com', 'app-owner@example.org', 'new-owner@example.net']) {
      secrets.push({ what: `e-mail ${e}`, value: text(e) })
      // The plain keccak256 of an address would let anyone test a list of addresses: keyed instead.
      secrets.push({ what: `plain e-mail hash of ${e}`, value: hexToBytes(legacyEmailHash(e)) })
    }
    publicValues.push({ what: 'username', value: text('alice') })

    // The password verifiers (scrypt hashes) are secrets too: get them by unsealing, as a daemon would.
    const profile = loadProfile(o.configDir)
    const key = readSealingKey(profile)
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl })
    const state = await loadViewState(conn.publicClient, {
      ...profile.deployment!.contracts,
      deployBlock: BigInt(profile.deployment!.deployBlock),
      unseal: (sealed, context) => openValue(key, sealed, context),
    })
    for (const u of state.users()) {
      secrets.push({ what: `password verifier of ${u.username}`, value: text(u.passwordVerifier!) })
      const hashPart = u.passwordVerifier!.split('$')[5]
      secrets.push({ what: `password hash of ${u.username}`, value: Buffer.from(hashPart, 'base64') })
    }
    expect(secrets.length).toBeGreaterThan(40)
  })

  afterAll(async () => {
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('in calldata, logs and the full state dump', async () => {
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl })
    const client = conn.publicClient
    const haystacks: { where: string; data: Buffer }[] = []
    const head = await client.getBlockNumber()
    for (let n = 0n; n <= head; n++) {
      const block = await client.getBlock({ blockNumber: n, includeTransactions: true })
      for (const tx of block.transactions) haystacks.push({ where: `calldata of ${tx.hash}`, data: Buffer.from(hexToBytes(tx.input)) })
    }
    const logs = await client.getLogs({ fromBlock: 0n, toBlock: head })
    for (const l of logs) {
      haystacks.push({ where: `log ${l.transactionHash}/${l.logIndex}`, data: Buffer.concat([...l.topics.map((t) => Buffer.from(hexToBytes(t))), Buffer.from(hexToBytes(l.data))]) })
    }
    const dump = (await client.request({ method: 'anvil_dumpState' as never })) as Hex
    const dumpBytes = Buffer.from(hexToBytes(dump))
    const dumpText = dumpBytes[0] === 0x1f && dumpBytes[1] === 0x8b ? gunzipSync(dumpBytes) : dumpBytes
    haystacks.push({ where: 'anvil_dumpState', data: dumpText })
    // The dump is JSON with hex strings: also search inside it case-insensitively.
    haystacks.push({ where: 'anvil_dumpState (lower-cased)', data: Buffer.from(dumpText.toString('latin1').toLowerCase(), 'latin1') })
    expect(haystacks.length).toBeGreaterThan(10)

    // The search works: public values (identities, usernames) are found.
    for (const p of publicValues) {
      expect(haystacks.some((h) => forms(p.value).some((f) => h.data.includes(f))), p.what).toBe(true)
    }
    const leaks: string[] = []
    for (const s of secrets) {
      for (const h of haystacks) {
        if (forms(s.value).some((f) => h.data.includes(f))) leaks.push(`${s.what} in ${h.where}`)
      }
    }
    expect(leaks).toEqual([])
  })
})
