import { createHash, createHmac } from 'node:crypto'
import { ownCopy } from './own-copy.js'

/** The TLS 1.2 PRF with SHA-256: P_SHA256(secret, label + seed) (RFC 5246 5). */
export function prf(secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed])
  const out: Buffer[] = []
  let total = 0
  let a: Buffer = Buffer.from(labelSeed)
  while (total < length) {
    a = createHmac('sha256', secret).update(a).digest()
    const chunk = createHmac('sha256', secret).update(a).update(labelSeed).digest()
    out.push(chunk)
    total += chunk.length
  }
  return Buffer.concat(out).subarray(0, length)
}

/** The PSK premaster secret: uint16 N, N zero bytes, uint16 N, the PSK (RFC 4279 2). */
export function pskPremasterSecret(psk: Uint8Array): Buffer {
  const n = psk.length
  const out = Buffer.alloc(4 + 2 * n)
  out.writeUInt16BE(n, 0)
  out.writeUInt16BE(n, 2 + n)
  out.set(psk, 4 + n)
  return out
}

/** The classic master secret (RFC 5246 8.1). */
export function masterSecret(premaster: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): Buffer {
  return prf(premaster, 'master secret', Buffer.concat([clientRandom, serverRandom]), 48)
}

/** The extended master secret over the session hash (RFC 7627 4). */
export function extendedMasterSecret(premaster: Uint8Array, sessionHash: Uint8Array): Buffer {
  return prf(premaster, 'extended master secret', sessionHash, 48)
}

/** The key block (RFC 5246 6.3), in a buffer of its own: the session's ciphers keep views of it. */
export function keyBlock(master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array, length: number): Buffer {
  return ownCopy(prf(master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), length))
}

/** Finished verify_data (RFC 5246 7.4.9). */
export function verifyData(master: Uint8Array, label: 'client finished' | 'server finished', handshakeHash: Uint8Array): Buffer {
  return prf(master, label, handshakeHash, 12)
}

/** SHA-256 over the concatenated handshake messages. */
export function transcriptHash(messages: readonly Uint8Array[]): Buffer {
  const h = createHash('sha256')
  for (const m of messages) h.update(m)
  return h.digest()
}
