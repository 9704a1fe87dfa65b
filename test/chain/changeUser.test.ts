import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmbeddedChain, type EmbeddedChain } from '../../src/chain/anvil.js'
import { UserNotFoundError } from '../../src/chain/errors.js'
import { openUserRecord, parseRole, sealUserRecord } from '../../src/chain/records/userRecord.js'
import { addUser } from '../../src/chain/users/addUser.js'
import { changeUser } from '../../src/chain/users/changeUser.js'
import { hashPassword, verifyPassword } from '../../src/chain/users/password.js'
import { readUserRecord } from '../../src/chain/users/readUserRecord.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'

describe('changeUser', () => {
  let dir: string
  let chain: EmbeddedChain
  let d: GivenDeployment
  const params = () => ({ userStore: d.userStore, deployBlock: d.deployBlock, sealingPublicKey: d.sealingPublicKey, emailKey: d.emailKey })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-change-user-'))
    chain = await startEmbeddedChain({ port: 0, dataDir: join(dir, 'chain') })
    d = await givenDeployment(chain.rpcUrl)
    const record = sealUserRecord({ username: 'carol', role: parseRole('user'), email: 'carol@example.org', passwordVerifier: await hashPassword('old secret') }, d.sealingPublicKey, d.emailKey)
    await addUser(d.conn, { userStore: d.userStore, record })
  })

  afterAll(async () => {
    await chain?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('changes only the role and keeps the sealed e-mail and password as they were', async () => {
    const before = await readUserRecord(d.conn.publicClient, { ...params(), username: 'carol' })
    const r = await changeUser(d.conn, { ...params(), username: 'carol', role: parseRole('admin') })
    expect(r.changed).toEqual(['role'])
    expect(r.version).toBe(before!.version + 1)
    const after = await readUserRecord(d.conn.publicClient, { ...params(), username: 'carol' })
    expect(after!.version).toBe(r.version)
    expect(after!.record).toEqual({ ...before!.record, role: parseRole('admin') })
  })

  it('seals a new e-mail and password verifier', async () => {
    const r = await changeUser(d.conn, { ...params(), username: 'carol', email: 'c@example.org', password: 'new secret' })
    expect(r.changed).toEqual(['email', 'password'])
    const opened = openUserRecord(r.record, d.sealingPrivateKey)
    expect(opened.email).toBe('c@example.org')
    expect(await verifyPassword('new secret', opened.passwordVerifier)).toBe(true)
    expect(await verifyPassword('old secret', opened.passwordVerifier)).toBe(false)
  })

  it('cannot change a user who does not exist', async () => {
    await expect(changeUser(d.conn, { ...params(), username: 'nobody', role: parseRole('user') })).rejects.toBeInstanceOf(UserNotFoundError)
  })
})
