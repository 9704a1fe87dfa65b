import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto'

/** scrypt cost parameters written into every verifier, so they can be raised later. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 } as const

function scryptAsync(password: string, salt: Buffer, N: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128 * N * r bytes (32 MiB at the defaults).
    scrypt(password.normalize('NFC'), salt, len, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/**
 * Makes a password verifier: `scrypt$N$r$p$<salt b64>$<hash b64>` with a random 16-byte salt.
 * It is sealed before it goes on chain; only daemons holding the sealing key can check logins.
 */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength } = SCRYPT_PARAMS
  const salt = randomBytes(16)
  const hash = await scryptAsync(password, salt, N, r, p, keyLength)
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

/** Checks a password against a verifier in constant time; false for any malformed verifier. */
export async function verifyPassword(password: string, verifier: string): Promise<boolean> {
  const parts = verifier.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [N, r, p] = parts.slice(1, 4).map(Number)
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 2 ** 20) return false
  const salt = Buffer.from(parts[4], 'base64')
  const expected = Buffer.from(parts[5], 'base64')
  if (salt.length === 0 || expected.length === 0) return false
  const actual = await scryptAsync(password, salt, N, r, p, expected.length)
  return timingSafeEqual(actual, expected)
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

/** A random 20-character password (about 116 bits), printed once by `user add`. */
export function generatePassword(): string {
  let s = ''
  for (let i = 0; i < 20; i++) s += ALPHABET[randomInt(ALPHABET.length)]
  return s
}
