import type { Address, Hash, PublicClient } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import type { ContractAddresses } from '../profile.js'
import { writeAndWait } from '../writeAndWait.js'
import { LastRoleAdminError } from './errors.js'
import { hasRole, ROLE_ABIS } from './hasRole.js'
import { listRoleHolders } from './listRoleHolders.js'
import { ROLE_IDS, type DeploymentRole, type StoreName } from './roles.js'

export interface ChangeRoleParameters {
  contracts: ContractAddresses
  deployBlock: bigint
  role: DeploymentRole
  account: Address
}

/** What a grant or revoke did, store by store. */
export interface ChangeRoleResult {
  role: DeploymentRole
  account: Address
  /** Stores where it changed, with the transaction. */
  changed: { store: StoreName; txHash: Hash }[]
  /** Stores where it already was as asked (nothing sent). */
  unchanged: StoreName[]
}

/**
 * Grants `role` to `account` on every store the role lives on (one transaction per store where it
 * is missing). The signer needs the admin role; without it the first write fails with
 * UnauthorizedError before anything is sent (the gas estimate reverts).
 */
export function grantRole(conn: ChainConnection, p: ChangeRoleParameters): Promise<ChangeRoleResult> {
  return change(conn, p, 'grantRole')
}

/**
 * Revokes `role` from `account` on every store where it holds it. Refuses (LastRoleAdminError,
 * nothing sent) to revoke admin from a store's last admin, which would freeze its roles and
 * sealing key for good.
 */
export async function revokeRole(conn: ChainConnection, p: ChangeRoleParameters): Promise<ChangeRoleResult> {
  if (p.role === 'admin') await refuseLastAdmin(conn.publicClient, p, conn.rpcUrl)
  return change(conn, p, 'revokeRole')
}

async function refuseLastAdmin(client: PublicClient, p: ChangeRoleParameters, rpcUrl: string): Promise<void> {
  const holders = (await listRoleHolders(client, { contracts: p.contracts, deployBlock: p.deployBlock, rpcUrl })).filter((h) => h.role === 'admin')
  const target = holders.find((h) => h.account.toLowerCase() === p.account.toLowerCase())
  for (const store of target?.stores ?? []) {
    const others = holders.filter((h) => h !== target && h.stores.includes(store))
    if (others.length === 0) throw new LastRoleAdminError(p.account, store)
  }
}

async function change(conn: ChainConnection, p: ChangeRoleParameters, functionName: 'grantRole' | 'revokeRole'): Promise<ChangeRoleResult> {
  const holding = await hasRole(conn.publicClient, { contracts: p.contracts, role: p.role, account: p.account, rpcUrl: conn.rpcUrl })
  const todo = functionName === 'grantRole' ? holding.missing : holding.held
  const unchanged = functionName === 'grantRole' ? holding.held : holding.missing
  const changed: ChangeRoleResult['changed'] = []
  for (const store of todo) {
    const { txHash } = await writeAndWait(conn, {
      address: p.contracts[store],
      abi: ROLE_ABIS[store],
      functionName,
      args: [ROLE_IDS[p.role], p.account],
    })
    changed.push({ store, txHash })
  }
  return { role: p.role, account: p.account, changed, unchanged }
}
