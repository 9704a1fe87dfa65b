import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { JwtKeyError } from './errors.js'

/** File name of the per-deployment JWT key inside the config dir. */
export const JWT_KEY_FILE = 'jwt-key.hex'
const KEY_BYTES = 32

/**
 * Reads `<configDir>/jwt-key.hex`, or creates it with 32 random bytes (mode 0600) on first use.
 * The key is per deployment and never leaves the config dir: no HMAC secret lives in source.
 */
export function loadOrCreateJwtKey(configDir: string): Uint8Array {
  const file = join(configDir, JWT_KEY_FILE)
  mkdirSync(configDir, { recursive: true })
  try {
    // 'wx': two daemons starting together cannot both create (and disagree on) the key.
    writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, { flag: 'wx', mode: 0o600 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new JwtKeyError(`cannot create the JWT key ${file}`, err)
  }
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch (err) {
    throw new JwtKeyError(`cannot read the JWT key ${file}`, err)
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new JwtKeyError(`the JWT key ${file} is not 32 bytes of hex`)
  // A key readable by others could mint admin tokens: tighten what an older copy left open.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600)
  return Uint8Array.from(Buffer.from(text, 'hex'))
}
