import type { Address, PublicClient } from 'viem'
import { anomalyStoreAbi, clientStoreAbi, userStoreAbi } from '../generated/contracts.js'
import type { ContractAddresses } from '../profile.js'
import { toChainError } from '../toChainError.js'
import { ROLE_IDS, ROLE_STORES, type DeploymentRole, type StoreName } from './roles.js'

const ABIS = { clientStore: clientStoreAbi, userStore: userStoreAbi, anomalyStore: anomalyStoreAbi } as const

/** The stores on which `account` holds `role`, and those on which it does not. */
export interface RoleHolding {
  role: DeploymentRole
  held: StoreName[]
  missing: StoreName[]
}

/** Reads AccessControl.hasRole on every store `role` lives on. */
export async function hasRole(
  client: PublicClient,
  p: { contracts: ContractAddresses; role: DeploymentRole; account: Address; rpcUrl?: string },
): Promise<RoleHolding> {
  const stores = ROLE_STORES[p.role]
  let answers: boolean[]
  try {
    answers = await Promise.all(
      stores.map((s) => client.readContract({ address: p.contracts[s], abi: ABIS[s], functionName: 'hasRole', args: [ROLE_IDS[p.role], p.account] } as never) as Promise<boolean>),
    )
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
  return { role: p.role, held: stores.filter((_, i) => answers[i]), missing: stores.filter((_, i) => !answers[i]) }
}

/** Every role `account` holds on all of its stores. */
export async function rolesOf(client: PublicClient, p: { contracts: ContractAddresses; account: Address; rpcUrl?: string }): Promise<DeploymentRole[]> {
  const all = await Promise.all((['admin', 'writer', 'poster'] as const).map((role) => hasRole(client, { ...p, role })))
  return all.filter((h) => h.missing.length === 0).map((h) => h.role)
}

export { ABIS as ROLE_ABIS }
