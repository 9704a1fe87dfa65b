import { encodeAbiParameters, keccak256, toBytes, type Hex } from 'viem'
import { clientRecordParameter, userRecordParameter, type OnChainClientRecord, type OnChainUserRecord } from './records/abiStructs.js'

/**
 * The hashes the contracts use as keys, computed the same way on both sides of the RPC:
 * keccak256 of the UTF-8 bytes. E-mails are trimmed and lower-cased first so a login with
 * "Alice@Example.org " finds the account registered as "alice@example.org".
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

/** keccak256(bytes(lowercase(trim(email)))): UserStore's e-mail lookup key. */
export function emailHash(email: string): Hex {
  return keccak256(toBytes(email.trim().toLowerCase()))
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
