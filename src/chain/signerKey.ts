import { existsSync, readFileSync } from 'node:fs'
import type { Hex } from 'viem'
import { InvalidSignerKeyError } from './errors.js'

/** Where a signer key may come from, in order of precedence. */
export interface SignerKeySources {
  /** `--private-key-file`. */
  privateKeyFile?: string
  /** `LWCHAIN_PRIVATE_KEY`: the key itself as hex (or, for convenience, a path to a key file). */
  envKey?: string
  /** The profile's key file. */
  profileKeyFile?: string
}

/** The first signer key found in the sources, validated as 32-byte hex; undefined when none. */
export function loadSignerKey(sources: SignerKeySources): Hex | undefined {
  if (sources.privateKeyFile) return parseKey(readKeyFile(sources.privateKeyFile), `--private-key-file ${sources.privateKeyFile}`)
  const env = sources.envKey?.trim()
  if (env) {
    if (/^(0x)?[0-9a-fA-F]{64}$/.test(env)) return parseKey(env, 'LWCHAIN_PRIVATE_KEY')
    if (existsSync(env)) return parseKey(readKeyFile(env), `the file named by LWCHAIN_PRIVATE_KEY`)
    throw new InvalidSignerKeyError('LWCHAIN_PRIVATE_KEY')
  }
  if (sources.profileKeyFile) return parseKey(readKeyFile(sources.profileKeyFile), sources.profileKeyFile)
  return undefined
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new InvalidSignerKeyError(`${path} (cannot read it)`, err)
  }
}

// Never echo the key itself: the message names only where it came from.
function parseKey(text: string, source: string): Hex {
  const hex = text.trim().replace(/^0x/i, '')
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidSignerKeyError(source)
  return `0x${hex.toLowerCase()}` as Hex
}
