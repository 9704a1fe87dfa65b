import type { Hex } from 'viem'
import { emailHash } from '../hashes.js'
import { userEmailContext, userPasswordContext } from './sealContexts.js'
import { openValue, sealValue, sealValues, type Sealer } from './sealValue.js'
import { InvalidInputError, validateText } from './validate.js'
import type { OnChainUserRecord } from './abiStructs.js'

/** UserStore roles. */
export const ROLES = { admin: 1, user: 2, application: 3 } as const
export type RoleName = keyof typeof ROLES

/** The UserStore struct (e-mail and password verifier sealed, e-mail also as a hash for lookups), derived from the generated ABI. */
export type { OnChainUserRecord }

/** Parses a role name (admin, user, application); anything else is refused. */
export function parseRole(value: unknown): number {
  const key = String(value ?? '').trim().toLowerCase()
  if (key in ROLES) return ROLES[key as RoleName]
  throw new InvalidInputError(`unknown role "${String(value)}" (expected admin, user or application)`)
}

/** Name of a role number. */
export function roleToName(role: number): RoleName | 'unknown' {
  return (Object.keys(ROLES) as RoleName[]).find((k) => ROLES[k] === role) ?? 'unknown'
}

/** Validates a username (non-empty UTF-8, at most 255 bytes, no whitespace). */
export function validateUsername(value: unknown): string {
  const name = validateText(value, 'username')
  if (/\s/.test(name)) throw new InvalidInputError('username must not contain whitespace')
  if (name.includes('@')) throw new InvalidInputError('username must not contain "@" (logins accept username or e-mail)')
  return name
}

/** Validates an e-mail address loosely (one @, a dot in the domain) and trims it. */
export function validateEmail(value: unknown): string {
  const email = validateText(typeof value === 'string' ? value.trim() : value, 'e-mail address')
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new InvalidInputError(`"${email}" is not an e-mail address`)
  return email
}

/**
 * Builds the on-chain user record: seals e-mail and password verifier to the deployment key, and
 * keys the e-mail's lookup hash with the deployment's e-mail key.
 */
export function sealUserRecord(
  p: { username: string; role: number; email: string; passwordVerifier: string },
  sealingPublicKey: Hex | Uint8Array,
  emailKey: Uint8Array,
): OnChainUserRecord {
  return {
    username: p.username,
    role: p.role,
    emailHash: emailHash(p.email, emailKey),
    emailSealed: sealValue(sealingPublicKey, p.email, userEmailContext(p.username)),
    passwordSealed: sealValue(sealingPublicKey, p.passwordVerifier, userPasswordContext(p.username)),
  }
}

/** sealUserRecord with the sealing done by `sealer` (a daemon's pool). */
export async function sealUserRecordWith(
  sealer: Sealer,
  p: { username: string; role: number; email: string; passwordVerifier: string },
  sealingPublicKey: Hex | Uint8Array,
  emailKey: Uint8Array,
): Promise<OnChainUserRecord> {
  const [emailSealed, passwordSealed] = await sealValues(sealer, sealingPublicKey, [
    { plaintext: p.email, context: userEmailContext(p.username) },
    { plaintext: p.passwordVerifier, context: userPasswordContext(p.username) },
  ])
  return { username: p.username, role: p.role, emailHash: emailHash(p.email, emailKey), emailSealed, passwordSealed }
}

/** Opens a user record's e-mail and password verifier with the sealing private key. */
export function openUserRecord(r: OnChainUserRecord, sealingPrivateKey: Uint8Array): { email: string; passwordVerifier: string } {
  const dec = new TextDecoder()
  return {
    email: dec.decode(openValue(sealingPrivateKey, r.emailSealed, userEmailContext(r.username))),
    passwordVerifier: dec.decode(openValue(sealingPrivateKey, r.passwordSealed, userPasswordContext(r.username))),
  }
}
