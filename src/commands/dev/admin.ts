import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadProfile, requireDeployment } from '../../chain/profile.js'
import { readUserRecord } from '../../chain/users/readUserRecord.js'
import { generatePassword } from '../../chain/users/password.js'
import { connectChain } from '../../chain/connectChain.js'
import { runUserAdd } from '../user/add.js'
import { runUserUpdate } from '../user/update.js'
import type { ChainCommandOptions } from '../lib/context.js'

/** The dev admin's login; kept in `<config dir>/admin.json` (mode 0600) so every ready line can print it. */
export interface DevAdmin {
  username: string
  password: string
  /** True when this run created the account (or reset a password whose file was lost). */
  created: boolean
}

export const DEV_ADMIN_USERNAME = 'admin'
const DEV_ADMIN_EMAIL = 'admin@lwchain.local'

/**
 * Makes sure the deployment has the dev admin and that admin.json holds its password: creates the
 * account on first run; if the file was lost, sets a new password (the chain keeps only a sealed verifier).
 */
export async function ensureDevAdmin(o: ChainCommandOptions & { configDir: string }): Promise<DevAdmin> {
  const file = join(o.configDir, 'admin.json')
  const saved = readAdminFile(file)
  const profile = loadProfile(o.configDir)
  const deployment = requireDeployment(profile)
  const conn = await connectChain({ rpcUrl: o.rpc ?? profile.rpcUrl!, expectedChainId: deployment.chainId })
  const existing = await readUserRecord(conn.publicClient, {
    userStore: deployment.contracts.userStore,
    username: DEV_ADMIN_USERNAME,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  if (existing && saved) return { username: DEV_ADMIN_USERNAME, password: saved.password, created: false }
  let password: string
  if (existing) {
    password = generatePassword()
    await runUserUpdate(o, { username: DEV_ADMIN_USERNAME, password })
  } else {
    const added = await runUserAdd(o, { username: DEV_ADMIN_USERNAME, email: DEV_ADMIN_EMAIL, role: 'admin' })
    password = added.password!
  }
  writeFileSync(file, JSON.stringify({ username: DEV_ADMIN_USERNAME, password }) + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  return { username: DEV_ADMIN_USERNAME, password, created: true }
}

function readAdminFile(file: string): { password: string } | undefined {
  if (!existsSync(file)) return undefined
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { password?: unknown }
    return typeof v.password === 'string' && v.password !== '' ? { password: v.password } : undefined
  } catch {
    return undefined
  }
}
