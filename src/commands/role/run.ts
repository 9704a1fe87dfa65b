import type { Address } from 'viem'
import { grantRole, revokeRole, type ChangeRoleResult } from '../../chain/roles/changeRole.js'
import { rolesOf } from '../../chain/roles/hasRole.js'
import { listRoleHolders, type RoleHolder } from '../../chain/roles/listRoleHolders.js'
import { parseAccount, parseDeploymentRole } from '../../chain/roles/roles.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'

/** `role grant|revoke <role> <address>`: validates, then changes the role on every store it lives on. */
export async function runRoleChange(o: ChainCommandOptions, op: 'grant' | 'revoke', role: string, address: string): Promise<ChangeRoleResult> {
  const r = parseDeploymentRole(role)
  const account = parseAccount(address)
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const p = { contracts: deployment.contracts, deployBlock: BigInt(deployment.deployBlock), role: r, account }
  return op === 'grant' ? grantRole(conn, p) : revokeRole(conn, p)
}

/** What `role list` prints: every holder, or the roles of one account. */
export type RoleListResult = { holders: RoleHolder[] } | { account: Address; roles: string[] }

/** `role list [role] [address]`: holders from the role events (optionally of one role), or one account's roles. */
export async function runRoleList(o: ChainCommandOptions, role?: string, address?: string): Promise<RoleListResult> {
  // `role list 0x…` names an account without a role.
  if (role !== undefined && address === undefined && /^0x/i.test(role)) [role, address] = [undefined, role]
  const r = role === undefined ? undefined : parseDeploymentRole(role)
  const account = address === undefined ? undefined : parseAccount(address)
  const { deployment, conn } = await openChain(o, { signer: false, deployment: true })
  if (account) {
    const roles = await rolesOf(conn.publicClient, { contracts: deployment.contracts, account, rpcUrl: conn.rpcUrl })
    return { account, roles: r ? roles.filter((x) => x === r) : roles }
  }
  const holders = await listRoleHolders(conn.publicClient, { contracts: deployment.contracts, deployBlock: BigInt(deployment.deployBlock), rpcUrl: conn.rpcUrl })
  return { holders: r ? holders.filter((h) => h.role === r) : holders }
}
