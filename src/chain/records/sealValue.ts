import { bytesToHex, hexToBytes, type Hex } from 'viem'
import { open, seal } from '../sealing.js'

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
