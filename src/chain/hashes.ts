import { createHmac } from 'node:crypto'
import { encodeAbiParameters, keccak256, toBytes, type Hex } from 'viem'
import { clientRecordParameter, userRecordParameter, type OnChainClientRecord, type OnChainUserRecord } from './records/abiStructs.js'

/**
 * The hashes the contracts use as keys, computed the same way on both sides of the RPC:
 * keccak256 of the UTF-8 bytes, except the e-mail lookup key, which is keyed (see emailHash).
 * E-mails are trimmed and lower-cased first so a login with "Alice@Example.org " finds the
 * account registered as "alice@example.org".
 */

/** keccak256(bytes(endpoint)): ClientStore's key and AnomalyStore's endpoint index. */
export function endpointHash(endpoint: string): Hex {
  return keccak256(toBytes(endpoint))
}

/** keccak256(bytes(identity)): the PSK identity lookup key of ClientStore. */
export function identityHash(identity: string): Hex {
  return keccak256(toBytes(identity))
}

/** keccak256(bytes(username)): UserStore's key. */
export function usernameHash(username: string): Hex {
  return keccak256(toBytes(username))
}

/** Bytes of the per-deployment e-mail key (profile.ts keeps it beside the sealing key, mode 0600). */
export const EMAIL_KEY_BYTES = 32

/**
 * UserStore's e-mail lookup key: HMAC-SHA256(emailKey, lowercase(trim(email))). Keyed, so that
 * nobody holding a list of addresses can test which are accounts here: without the deployment's
 * secret nothing on chain can be recomputed from an address.
 */
export function emailHash(email: string, emailKey: Uint8Array): Hex {
  if (emailKey.length < 16) throw new TypeError('the e-mail key must be at least 16 bytes')
  return `0x${createHmac('sha256', emailKey).update(normalizeEmail(email), 'utf8').digest('hex')}`
}

/**
 * The lookup key of deployments from before keyed hashes: keccak256(lowercase(trim(email))).
 * Read-side only (logins keep working until `lwchain user migrate-emails` has run); never written.
 */
export function legacyEmailHash(email: string): Hex {
  return keccak256(toBytes(normalizeEmail(email)))
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/**
 * The commitment ClientStore keeps and `getClient` returns: the first 20 bytes of
 * keccak256(abi.encode(record)), zero-padded to 32 (truncated so a whole entry fits one slot).
 */
export function clientCommitment(record: OnChainClientRecord): Hex {
  return truncateCommitment(keccak256(encodeAbiParameters([clientRecordParameter], [record])))
}

/** The commitment UserStore keeps and `getUser` returns (same rule as `clientCommitment`). */
export function userCommitment(record: OnChainUserRecord): Hex {
  return truncateCommitment(keccak256(encodeAbiParameters([userRecordParameter], [record])))
}

function truncateCommitment(hash: Hex): Hex {
  return `${hash.slice(0, 42)}${'0'.repeat(24)}` as Hex
}
