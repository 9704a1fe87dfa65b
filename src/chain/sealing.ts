import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto'
import { LwchainError } from '../errors/base.js'

/**
 * Sealing: ECIES over X25519 + HKDF-SHA256 + AES-256-GCM, so secrets (PSKs, e-mails, password
 * verifiers) can sit on a public chain and open only with the deployment's private key.
 *
 * Sealed format: version (1) || ephemeral public key (32) || nonce (12) || ciphertext || tag (16).
 * The `context` (e.g. "lwchain:client:bootstrap-psk:<endpoint>") is the AEAD associated data, so
 * a sealed value copied into another record or field does not open.
 *
 * Keys go into node:crypto as raw bytes: public keys as a JWK `{kty: 'OKP', crv: 'X25519', x}`
 * (OpenSSL 3.0's DER decoder cost ~250 µs per key on Node 20), private keys as a JWK where the
 * runtime takes one without re-validating it (Node 20), otherwise wrapped in the fixed PKCS#8
 * prefix of RFC 8410 (see `privateKeyObject`). A public key is X25519(k, 9), never an SPKI export.
 * Private keys are 32 random bytes (X25519 clamps any scalar). We never call
 * `generateKeyPairSync` or export JWK: on Node 20 that pair deadlocks the main thread now and
 * then (a GC weak callback destroying a KeyGenJob takes a mutex held by the JWK export), which
 * froze about one 10,000-row `client import` in four.
 *
 * Why not HPKE (RFC 9180, e.g. @hpke/core), which standardises this very construction (base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM)? Two technical reasons, none of security:
 * - @hpke/core runs on WebCrypto and is async only. The chain view applies records
 *   synchronously (lookups at handshake time are Map reads) and opens inline what the sealing
 *   pool did not prefetch: a block's one or two new records, an undo after a reorg. The single
 *   record builders behind `client add` and `user add` seal synchronously too.
 * - Its encapsulation and key schedule differ from ours, so the values already on chain (format
 *   version 1) would need a version 2 with both openers kept, and `keys rotate` to move them.
  */

/** Format version byte of sealed values. */
export const SEALED_VERSION = 1
/** Bytes a sealed value adds to its plaintext (version + ephemeral key + nonce + tag). */
export const SEALED_OVERHEAD = 1 + 32 + 12 + 16

const HKDF_INFO = Buffer.from('lwchain/seal/v1/x25519-hkdf-sha256-aes256gcm')

/** A sealed value did not open: wrong key, wrong context, truncated or tampered. */
export class UnsealError extends LwchainError {
  override name = 'UnsealError'
  constructor(reason: string, cause?: unknown) {
    super(`cannot open sealed value: ${reason}`, { code: 'LWC_UNSEAL', cause })
  }
}

/** A sealing key is not a 32-byte X25519 key (or is a low-order point). */
export class InvalidSealingKeyError extends LwchainError {
  override name = 'InvalidSealingKeyError'
  constructor(reason: string, cause?: unknown) {
    super(`invalid sealing key: ${reason}`, { code: 'LWC_SEALING_KEY_INVALID', cause })
  }
}

/** An X25519 key pair: 32-byte raw public and private keys. */
export interface SealingKeyPair {
  publicKey: Uint8Array
  privateKey: Uint8Array
}

/** Creates a fresh deployment sealing key pair. */
export function generateSealingKeyPair(): SealingKeyPair {
  const privateKey = new Uint8Array(randomBytes(32))
  return { publicKey: sealingPublicKeyOf(privateKey), privateKey }
}

/** The public key belonging to a raw 32-byte X25519 private key. */
export function sealingPublicKeyOf(privateKey: Uint8Array): Uint8Array {
  return publicOfPrivate(privateKeyObject(privateKey))
}

/** Seals `plaintext` to `publicKey`, bound to `context`; every call gives a different output. */
export function seal(publicKey: Uint8Array, plaintext: Uint8Array, context: string | Uint8Array): Uint8Array {
  const recipient = recipientKeyObject(publicKey)
  const ephPriv = privateKeyObject(randomBytes(32))
  const ephRaw = publicOfPrivate(ephPriv)
  let shared: Buffer
  try {
    shared = diffieHellman({ privateKey: ephPriv, publicKey: recipient })
  } catch (err) {
    // OpenSSL refuses low-order points (an all-zero shared secret)
    throw new InvalidSealingKeyError('low-order public key', err)
  }
  const key = deriveKey(shared, ephRaw, publicKey)
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(contextBytes(context))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([Buffer.from([SEALED_VERSION]), ephRaw, nonce, body, cipher.getAuthTag()])
}

/** Opens a value sealed with `seal`; throws UnsealError (LWC_UNSEAL) on any mismatch. */
export function open(privateKey: Uint8Array, sealed: Uint8Array, context: string | Uint8Array): Uint8Array {
  const { priv, pub } = openingKey(privateKey)
  if (sealed.length < SEALED_OVERHEAD) throw new UnsealError('too short')
  if (sealed[0] !== SEALED_VERSION) throw new UnsealError(`unknown format version ${sealed[0]}`)
  const buf = viewOf(sealed)
  const ephRaw = buf.subarray(1, 33)
  const nonce = buf.subarray(33, 45)
  const body = buf.subarray(45, buf.length - 16)
  const tag = buf.subarray(buf.length - 16)
  let key: Buffer
  try {
    const shared = diffieHellman({ privateKey: priv, publicKey: publicKeyObject(ephRaw) })
    key = deriveKey(shared, ephRaw, pub)
  } catch (err) {
    throw new UnsealError('bad ephemeral key', err)
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce)
    decipher.setAAD(contextBytes(context))
    decipher.setAuthTag(tag)
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]))
  } catch (err) {
    throw new UnsealError('wrong key, wrong context or tampered data', err)
  }
}

/**
 * The KeyObject and raw public key of a private key, per key array (a WeakMap on the array
 * itself: no copy of the secret is made, and it goes with the array). A chain view opens two
 * values per client with one key, 200,000 at the cold start of a 100,000-client registry; building
 * the KeyObject and deriving the public key each time cost two thirds of every open.
 */
const openingKeys = new WeakMap<Uint8Array, { priv: KeyObject; pub: Uint8Array; raw: string }>()
function openingKey(privateKey: Uint8Array): { priv: KeyObject; pub: Uint8Array } {
  // Checked against a digest of the bytes (not the bytes: no copy of the secret), so an array
  // changed in place is not served a stale key.
  const raw = createHash('sha256').update(privateKey).digest('base64')
  const hit = openingKeys.get(privateKey)
  if (hit && hit.raw === raw) return hit
  const priv = privateKeyObject(privateKey)
  const entry = { priv, pub: publicOfPrivate(priv), raw }
  openingKeys.set(privateKey, entry)
  return entry
}

/** Hex (`0x…`, 64 digits) of a raw 32-byte sealing key. */
export function sealingKeyToHex(key: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(key).toString('hex')}`
}

/** Parses a raw 32-byte sealing key from hex (with or without `0x`). */
export function sealingKeyFromHex(hex: string): Uint8Array {
  const digits = hex.trim().replace(/^0x/i, '')
  if (!/^[0-9a-fA-F]{64}$/.test(digits)) throw new InvalidSealingKeyError('expected 32 bytes as hex')
  return new Uint8Array(Buffer.from(digits, 'hex'))
}

function deriveKey(shared: Buffer, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array): Buffer {
  // An all-zero secret means a low-order point was supplied; refuse rather than derive a known key.
  if (shared.every((b) => b === 0)) throw new InvalidSealingKeyError('low-order public key')
  const salt = Buffer.concat([ephemeralPublic, recipientPublic])
  return Buffer.from(hkdfSync('sha256', shared, salt, HKDF_INFO, 32))
}

/** A Buffer over the same bytes (no copy), for Buffer's encoders. */
function viewOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
}

function contextBytes(context: string | Uint8Array): Uint8Array {
  return typeof context === 'string' ? new TextEncoder().encode(context) : context
}

// SPKI DER prefix of a raw X25519 public key (RFC 8410).
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex')

/**
 * A raw public key imported as a JWK ({kty: OKP, crv: X25519, x}), not as SPKI DER: on Node 20
 * (OpenSSL 3.0) DER goes through OpenSSL's generic decoder and costs about 250 µs, the JWK import
 * about 35 µs (measured here), and opening takes one such import per value, 200,000 at the cold
 * start of a 100,000-client view. JWK *import* creates no key-generation job, so it does not touch
 * the deadlock described at the top of this file (that needs a KeyGenJob and a JWK export).
 */
function publicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new InvalidSealingKeyError(`public key must be 32 bytes, got ${raw.length}`)
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: viewOf(raw).toString('base64url') }, format: 'jwk' })
  } catch (err) {
    throw new InvalidSealingKeyError('not an X25519 public key', err)
  }
}

/** The recipient's KeyObject, kept for the next seal: an import sealing 10,000 rows seals to one key. */
let lastRecipient: { hex: string; key: KeyObject } | undefined
function recipientKeyObject(raw: Uint8Array): KeyObject {
  const hex = viewOf(raw).toString('hex')
  if (lastRecipient?.hex !== hex) lastRecipient = { hex, key: publicKeyObject(raw) }
  return lastRecipient.key
}

// PKCS#8 DER prefix of a raw X25519 private key (RFC 8410).
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex')

function privateKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new InvalidSealingKeyError(`private key must be 32 bytes, got ${raw.length}`)
  try {
    if (privateJwkWithoutPublic) return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: viewOf(raw).toString('base64url'), x: '' }, format: 'jwk' })
    return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' })
  } catch (err) {
    throw new InvalidSealingKeyError('not an X25519 private key', err)
  }
}

/**
 * Whether this runtime imports a private JWK from `d` alone and derives the right key. Every seal
 * imports one fresh (ephemeral) private key: through PKCS#8 DER that costs about 700 µs on Node 20
 * (OpenSSL 3.0's generic decoder; two thirds of a seal, 20 s of a 10,000-row import), the raw JWK
 * import about 50 µs. Node 20 ignores `x` in a private JWK; Node 22+ checks it against `d` (and
 * imports DER fast, ~70 µs), so there the DER path is used. Decided once, on RFC 7748's test
 * vector (section 6.1), so a runtime that behaved otherwise falls back to DER rather than to a wrong key.
 */
const privateJwkWithoutPublic = ((): boolean => {
  const d = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex')
  const expected = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'
  try {
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: d.toString('base64url'), x: '' }, format: 'jwk' })
    return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519.length).toString('hex') === expected
  } catch {
    return false
  }
})()

/** X25519's base point, u = 9 (RFC 7748 section 4.1). */
let basePoint: KeyObject | undefined

/**
 * The raw public key of an X25519 private key: X25519(k, 9), which is its definition (RFC 7748
 * section 6.1). The same bytes as exporting createPublicKey(k) as SPKI, without OpenSSL 3's
 * encoder, which cost a third of a seal (the single hottest function of a 5,000-row import).
 */
function publicOfPrivate(priv: KeyObject): Uint8Array {
  basePoint ??= publicKeyObject(Uint8Array.from([9, ...new Uint8Array(31)]))
  return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: basePoint }))
}
