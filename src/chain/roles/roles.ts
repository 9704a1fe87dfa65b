import { keccak256, toBytes, type Address, type Hex } from 'viem'
import type { ContractAddresses } from '../profile.js'
import { UsageError } from '../../errors/base.js'

/**
 * The deployment's contract roles, as operators name them. One name may stand for a role on
 * several stores: `admin` is AccessControl's DEFAULT_ADMIN_ROLE on all three (grants roles, sets
 * the sealing key), `writer` is WRITER_ROLE on ClientStore and UserStore (devices and accounts),
 * `poster` is POSTER_ROLE on AnomalyStore (anchors anomaly batches).
 */
export type DeploymentRole = 'admin' | 'writer' | 'poster'

/** Every role name, in the order `role list` prints them. */
export const DEPLOYMENT_ROLES: readonly DeploymentRole[] = ['admin', 'writer', 'poster']

/** The three stores by the key ContractAddresses uses. */
export type StoreName = keyof ContractAddresses

/** AccessControl role ids. */
export const ROLE_IDS: Record<DeploymentRole, Hex> = {
  admin: `0x${'00'.repeat(32)}`,
  writer: keccak256(toBytes('WRITER_ROLE')),
  poster: keccak256(toBytes('POSTER_ROLE')),
}

/** Which stores each role lives on. */
export const ROLE_STORES: Record<DeploymentRole, readonly StoreName[]> = {
  admin: ['clientStore', 'userStore', 'anomalyStore'],
  writer: ['clientStore', 'userStore'],
  poster: ['anomalyStore'],
}

/** Contract names for messages. */
export const STORE_LABELS: Record<StoreName, string> = { clientStore: 'ClientStore', userStore: 'UserStore', anomalyStore: 'AnomalyStore' }

/** Parses a role name; anything else is a UsageError (exit 2) naming the three. */
export function parseDeploymentRole(value: unknown): DeploymentRole {
  const v = String(value ?? '').trim().toLowerCase()
  if ((DEPLOYMENT_ROLES as readonly string[]).includes(v)) return v as DeploymentRole
  throw new UsageError(`unknown role "${String(value)}" (expected admin, writer or poster)`)
}

/** The role name of an AccessControl role id, or undefined for an id we do not use. */
export function roleNameOf(id: Hex | string): DeploymentRole | undefined {
  const lower = String(id).toLowerCase()
  return DEPLOYMENT_ROLES.find((r) => ROLE_IDS[r] === lower)
}

/** Parses an account address (checksummed or lower case). */
export function parseAccount(value: unknown): Address {
  const v = String(value ?? '').trim()
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new UsageError(`"${v}" is not an account address (0x and 40 hex digits)`)
  return v as Address
}
