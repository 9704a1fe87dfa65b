/**
 * A deployment from before keyed e-mail hashes (no e-mail key, plain keccak256 on chain) migrates
 * with `lwchain user migrate-emails`: logins by e-mail work before, during and after (a running
 * view picks the new key up without a restart), writers refuse to add plain hashes meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectChain } from '../../src/chain/connectChain.js'
import { emailHash, legacyEmailHash } from '../../src/chain/hashes.js'
import { loadProfile, readEmailKey, readSealingKey, saveProfile } from '../../src/chain/profile.js'
import { userEmailContext, userPasswordContext } from '../../src/chain/records/sealContexts.js'
import { sealValue } from '../../src/chain/records/sealValue.js'
import { addUser } from '../../src/chain/users/addUser.js'
import { hashPassword } from '../../src/chain/users/password.js'
import { readUserRecord } from '../../src/chain/users/readUserRecord.js'
import { openProfileView } from '../../src/chain/view/openProfileView.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runMigrateEmails } from '../../src/commands/keys/migrateEmails.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { eventually } from '../daemons/bootstrap-helpers.js'

describe('user migrate-emails', () => {
  let anvil: TestAnvil
  let dir: string
  let o: { configDir: string; rpc: string }
  const emails = { ada: 'Ada.Legacy@Example.org', bob: 'bob.legacy@example.net' }

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-migrate-'))
    o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
    // Make it an old deployment: no e-mail key, accounts written with the plain hash.
    const profile = loadProfile(o.configDir)
    const { emailKeyFile: _, ...old } = profile.deployment!
    saveProfile(o.configDir, { deployment: old })
    rmSync(join(o.configDir, 'email-key.hex'))
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl })
    for (const [username, email] of Object.entries(emails)) {
      const record = {
        username,
        role: username === 'ada' ? 1 : 2,
        emailHash: legacyEmailHash(email),
        emailSealed: sealValue(old.sealingPublicKey, email, userEmailContext(username)),
        passwordSealed: sealValue(old.sealingPublicKey, await hashPassword(`${username}-pw`), userPasswordContext(username)),
      }
      await addUser(conn, { userStore: old.contracts.userStore, record })
    }
  })

  afterAll(async () => {
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('keys every e-mail hash, while a running view keeps finding accounts by e-mail', async () => {
    const { view } = await openProfileView({ configDir: o.configDir, rpc: anvil.rpcUrl, pollIntervalMs: 100, cursorName: 'm.json' })
    await view.start()
    try {
      expect(view.userByEmail('ada.legacy@example.org')?.username).toBe('ada')
      // Until migrated, writers refuse to add more plain hashes.
      await expect(runUserAdd(o, { username: 'carl', email: 'carl@example.org', role: 'user' })).rejects.toMatchObject({ code: 'LWC_EMAIL_KEY_MISSING' })

      const r = await runMigrateEmails(o, { batchSize: 1 })
      expect(r).toMatchObject({ createdKey: true, emailKeyFile: 'email-key.hex', reseal: { users: 2, clients: 0, transactions: 2, complete: true } })
      const key = readEmailKey(loadProfile(o.configDir))!
      const conn = await connectChain({ rpcUrl: anvil.rpcUrl })
      const d = loadProfile(o.configDir).deployment!
      for (const [username, email] of Object.entries(emails)) {
        const read = await readUserRecord(conn.publicClient, { userStore: d.contracts.userStore, username, deployBlock: BigInt(d.deployBlock) })
        expect(read!.record.emailHash).toBe(emailHash(email, key))
        await eventually(() => view.userByUsername(username)?.version === read!.version)
        expect(view.userByEmail(email.toUpperCase())?.username).toBe(username)
      }
      // Nothing left to do the second time; and new accounts get keyed hashes.
      expect((await runMigrateEmails(o)).reseal).toMatchObject({ users: 0, unchanged: 2, transactions: 0 })
      await runUserAdd(o, { username: 'carl', email: 'carl@example.org', role: 'user' })
      const carl = await readUserRecord(conn.publicClient, { userStore: d.contracts.userStore, username: 'carl', deployBlock: BigInt(d.deployBlock) })
      expect(carl!.record.emailHash).toBe(emailHash('carl@example.org', key))
      expect(readSealingKey(loadProfile(o.configDir))).toHaveLength(32)
    } finally {
      await view.stop()
    }
  })
})
