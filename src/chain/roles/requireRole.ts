import type { ChainConnection } from '../connectChain.js'
import type { ContractAddresses } from '../profile.js'
import { isUnreachable } from '../toChainError.js'
import { MissingRoleError } from './errors.js'
import { hasRole, rolesOf } from './hasRole.js'
import type { DeploymentRole } from './roles.js'

/** What a daemon learned about its key at start. */
export interface KeyCheck {
  /** False when the chain could not be reached: the check could not be made (the daemon may start offline). */
  checked: boolean
  /** Roles the key holds beyond the one it needs (a least-privilege warning for production). */
  extra: DeploymentRole[]
}

/**
 * Checks, before a daemon sends anything, that its signer holds `role` on every store the role
 * lives on; throws MissingRoleError (one line naming the role and the grant command) otherwise.
 * An unreachable chain is not a verdict: the daemon starts and the check is skipped.
 */
export async function requireKeyRole(
  conn: ChainConnection,
  p: { contracts: ContractAddresses; role: DeploymentRole; what: string },
): Promise<KeyCheck> {
  const account = conn.account?.address
  if (!account) throw new TypeError('requireKeyRole needs a connection with a signer')
  try {
    const holding = await hasRole(conn.publicClient, { contracts: p.contracts, role: p.role, account, rpcUrl: conn.rpcUrl })
    if (holding.missing.length > 0) throw new MissingRoleError({ what: p.what, account, role: p.role, missing: holding.missing })
    const all = await rolesOf(conn.publicClient, { contracts: p.contracts, account, rpcUrl: conn.rpcUrl })
    return { checked: true, extra: all.filter((r) => r !== p.role) }
  } catch (err) {
    if (err instanceof MissingRoleError) throw err
    if (isUnreachable(err) || (err as { code?: string }).code === 'LWC_CHAIN_UNREACHABLE') return { checked: false, extra: [] }
    throw err
  }
}
