import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openProfileView } from '../../src/chain/view/openProfileView.js'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { verifyPassword } from '../../src/chain/users/password.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'

describe('openProfileView', () => {
  let anvil: TestAnvil
  let dir: string

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-pview-'))
  })

  afterAll(async () => {
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('gives a daemon what `lwchain deploy` and `client add` provisioned, with unsealed secrets', async () => {
    const o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
    const { result } = await runClientAdd(o, { endpoint: 'daemon-dev' })
    const user = await runUserAdd(o, { username: 'ops', email: 'ops@example.com', role: 'admin' })

    const { view } = await openProfileView({ configDir: o.configDir, rpc: anvil.rpcUrl, pollIntervalMs: 100 })
    await view.start()
    try {
      const c = view.clientByIdentity(result.server.identity)
      expect(c?.endpoint).toBe('daemon-dev')
      expect(c?.matchedRole).toBe('server')
      expect(Buffer.from(c!.psk!).toString('hex')).toBe(result.server.key)
      const u = view.userByEmail('OPS@example.com')!
      expect(await verifyPassword(user.password!, u.passwordVerifier!)).toBe(true)
    } finally {
      await view.stop()
    }
  })
})
