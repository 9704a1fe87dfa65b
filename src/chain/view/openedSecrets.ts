import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'
import type { Hex } from 'viem'
import type { SealedRef } from './prefetchingUnsealer.js'

/**
 * The view's opened secrets, sealed as one block beside a snapshot's entries, so a warm start
 * does not open every record again. Opening costs ~0.15 ms per value, two per client: 30 s of
 * CPU at 100,000 clients, the whole of a warm start. One AES-256-GCM pass over the values is
 * milliseconds.
 *
 * The block's key is derived from the sealing private key (HKDF-SHA256, info below), so the
 * snapshot file still opens only with the deployment's sealing key, like the sealed values it
 * carries. The associated data is a digest of every (context, sealed value) in order, so a block
 * opens only beside the very entries it was written with: values cannot be moved to another
 * record, and an edited or mismatched entry list leaves the block unused (each value is then
 * opened from its sealed form, as on a cold start).
 */
export interface OpenedSecretsBlock {
  /** Public key (lower-case hex) of the sealing key the block's key was derived from. */
  key: Hex
  /** Values in the block (must equal the snapshot's sealed values). */
  count: number
  /** base64 of nonce (12) || ciphertext || tag (16). */
  data: string
}

const INFO = Buffer.from('lwchain/view-snapshot/opened-secrets/v1')
/** Length marker of a value the view could not open. */
const ABSENT = 0xffff

function blockKey(privateKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', privateKey, Buffer.alloc(0), INFO, 32))
}

/** Digest binding a block to its entries: every context and sealed value, in order. */
function refsDigest(refs: SealedRef[]): Buffer {
  const h = createHash('sha256')
  for (const r of refs) h.update(`${r.context}\n${r.sealed}\n`)
  return h.digest()
}

/**
 * Seals `values` (aligned with `refs`; undefined: not opened) under the key derived from
 * `sealingKey`.
 */
export function sealOpenedSecrets(refs: SealedRef[], values: (Uint8Array | undefined)[], sealingKey: { privateKey: Uint8Array; publicKey: Hex }): OpenedSecretsBlock {
  if (refs.length !== values.length) throw new Error(`opened secrets: ${values.length} values for ${refs.length} sealed refs`)
  let size = 0
  for (const v of values) size += 2 + (v?.length ?? 0)
  const plain = Buffer.allocUnsafe(size)
  let at = 0
  for (const v of values) {
    if (v === undefined || v.length >= ABSENT) {
      plain.writeUInt16BE(ABSENT, at)
      at += 2
      continue
    }
    plain.writeUInt16BE(v.length, at)
    plain.set(v, at + 2)
    at += 2 + v.length
  }
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', blockKey(sealingKey.privateKey), nonce)
  cipher.setAAD(refsDigest(refs))
  const body = Buffer.concat([nonce, cipher.update(plain.subarray(0, at)), cipher.final(), cipher.getAuthTag()])
  return { key: sealingKey.publicKey.toLowerCase() as Hex, count: refs.length, data: body.toString('base64') }
}

/**
 * Opens a block written beside `refs` with one of `keys`; undefined when no key fits, the block
 * was written beside other entries, or it is damaged (the caller then opens each sealed value).
 */
export function openOpenedSecrets(block: OpenedSecretsBlock | undefined, refs: SealedRef[], keys: { privateKey: Uint8Array; publicKey: Hex }[]): { values: (Uint8Array | undefined)[]; publicKey: Hex } | undefined {
  if (!block || typeof block.data !== 'string' || block.count !== refs.length) return undefined
  const key = keys.find((k) => k.publicKey.toLowerCase() === block.key?.toLowerCase?.())
  if (!key) return undefined
  try {
    const body = Buffer.from(block.data, 'base64')
    if (body.length < 28) return undefined
    const decipher = createDecipheriv('aes-256-gcm', blockKey(key.privateKey), body.subarray(0, 12))
    decipher.setAAD(refsDigest(refs))
    decipher.setAuthTag(body.subarray(body.length - 16))
    const plain = Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()])
    const values: (Uint8Array | undefined)[] = []
    let at = 0
    while (at < plain.length) {
      const n = plain.readUInt16BE(at)
      at += 2
      if (n === ABSENT) values.push(undefined)
      else {
        if (at + n > plain.length) return undefined
        values.push(new Uint8Array(plain.buffer, plain.byteOffset + at, n))
        at += n
      }
    }
    if (values.length !== refs.length || at !== plain.length) return undefined
    return { values, publicKey: key.publicKey.toLowerCase() as Hex }
  } catch {
    return undefined
  }
}
