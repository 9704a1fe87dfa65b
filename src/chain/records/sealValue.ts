import { bytesToHex, hexToBytes, type Hex } from 'viem'
import { open, seal } from '../sealing.js'
import type { SealItem } from '../sealingPool.js'

/**
 * Who does the sealing of a batch: a SealingPool (worker threads, for a daemon whose event loop
 * serves others) or inlineSealer (this thread, for a one-shot command).
 */
export interface Sealer {
  sealMany(items: SealItem[]): Promise<Uint8Array[]>
}

/** Seals on the calling thread (what commands use: no loop there serves anyone else). */
export const inlineSealer: Sealer = {
  async sealMany(items) {
    return items.map((it) => seal(it.publicKey, it.plaintext, it.context))
  },
}

/** Seals several secrets to one public key with `sealer`; hex for the chain, in order. */
export async function sealValues(sealer: Sealer, publicKey: Hex | Uint8Array, values: { plaintext: Uint8Array | string; context: string }[]): Promise<Hex[]> {
  const pub = typeof publicKey === 'string' ? hexToBytes(publicKey) : publicKey
  const sealed = await sealer.sealMany(values.map((v) => ({ publicKey: pub, plaintext: typeof v.plaintext === 'string' ? new TextEncoder().encode(v.plaintext) : v.plaintext, context: v.context })))
  return sealed.map((b) => bytesToHex(b))
}

/** Seals a secret to the deployment's public key, bound to `context`; returns the hex for the chain. */
export function sealValue(publicKey: Hex | Uint8Array, plaintext: Uint8Array | string, context: string): Hex {
  const pub = typeof publicKey === 'string' ? hexToBytes(publicKey) : publicKey
  const data = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext
  return toHex(seal(pub, data, context))
}

/** Opens a sealed value with the sealing private key; throws when the key or context is wrong. */
export function openValue(privateKey: Uint8Array, sealed: Hex, context: string): Uint8Array {
  return open(privateKey, hexToBytes(sealed), context)
}

function toHex(v: Uint8Array | Hex): Hex {
  return typeof v === 'string' ? v : bytesToHex(v)
}
