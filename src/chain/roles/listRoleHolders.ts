import type { Address, PublicClient } from 'viem'
import type { ContractAddresses } from '../profile.js'
import { toChainError } from '../toChainError.js'
import { ROLE_ABIS } from './hasRole.js'
import { DEPLOYMENT_ROLES, ROLE_IDS, ROLE_STORES, type DeploymentRole, type StoreName } from './roles.js'

/** One account holding a role, and on which of the role's stores. */
export interface RoleHolder {
  role: DeploymentRole
  account: Address
  stores: StoreName[]
  /** True when it holds the role on every store the role lives on. */
  complete: boolean
}

/**
 * Who holds each role: AccessControl does not enumerate members, so this replays RoleGranted and
 * RoleRevoked from the deployment block (the events carry the role id and the account).
 */
export async function listRoleHolders(
  client: PublicClient,
  p: { contracts: ContractAddresses; deployBlock: bigint; rpcUrl?: string },
): Promise<RoleHolder[]> {
  const holders = new Map<string, { role: DeploymentRole; account: Address; stores: Set<StoreName> }>()
  const stores = Object.keys(p.contracts) as StoreName[]
  try {
    for (const store of stores) {
      const logs = (
        await Promise.all(
          (['RoleGranted', 'RoleRevoked'] as const).map((eventName) =>
            client.getContractEvents({ address: p.contracts[store], abi: ROLE_ABIS[store], eventName, fromBlock: p.deployBlock } as never),
          ),
        )
      ).flat() as unknown as { eventName: string; args: { role: string; account: Address }; blockNumber: bigint; logIndex: number }[]
      logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
      for (const log of logs) {
        const role = DEPLOYMENT_ROLES.find((r) => ROLE_IDS[r] === log.args.role.toLowerCase() && ROLE_STORES[r].includes(store))
        if (!role) continue
        const key = `${role}:${log.args.account.toLowerCase()}`
        const h = holders.get(key) ?? { role, account: log.args.account, stores: new Set<StoreName>() }
        if (log.eventName === 'RoleGranted') h.stores.add(store)
        else h.stores.delete(store)
        holders.set(key, h)
      }
    }
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl })
  }
  return [...holders.values()]
    .filter((h) => h.stores.size > 0)
    .map((h) => ({ role: h.role, account: h.account, stores: ROLE_STORES[h.role].filter((s) => h.stores.has(s)), complete: ROLE_STORES[h.role].every((s) => h.stores.has(s)) }))
    .sort((a, b) => DEPLOYMENT_ROLES.indexOf(a.role) - DEPLOYMENT_ROLES.indexOf(b.role) || a.account.localeCompare(b.account))
}
