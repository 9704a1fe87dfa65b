import type { Hex } from 'viem'
import type { Logger } from '../../logger.js'
import { openValue } from '../records/sealValue.js'
import { sealingKeyToHex, sealingPublicKeyOf } from '../sealing.js'

/** Where a private key in the ring stands in a rotation. */
type KeyState = 'current' | 'next' | 'retiring'

interface RingKey {
  publicKey: Hex
  privateKey: Uint8Array
  state: KeyState
}

/** What a sealed value opened to, and with which key. */
export interface Opened {
  value: Uint8Array
  /** Public key (lower-case hex) of the key that opened it: not the current one means the record still needs re-sealing. */
  publicKey: Hex
}

/**
 * The sealing private keys a reader holds during a key rotation (`lwchain keys rotate`): the
 * current one, the next one (generated, not yet set on chain) and retiring ones (records still
 * sealed to them are being re-sealed). The chain says which is current (SealingKeyChanged); once
 * nothing in the view is sealed to a retiring key, the ring forgets it (and zeroes its bytes).
 */
export class SealingKeyRing {
  private keys: RingKey[]

  /**
   * @param current the profile's sealing key; @param others retiring and pending keys from the
   * profile; @param load reads the config dir's keys again (a rotation run elsewhere wrote a new one).
   */
  constructor(
    current: Uint8Array,
    others: Uint8Array[] = [],
    private readonly load?: () => Uint8Array[],
    private readonly logger?: Logger,
  ) {
    this.keys = [{ publicKey: pub(current), privateKey: current, state: 'current' }]
    for (const k of others) this.add(k, 'next')
  }

  /** Public key (hex) of the current key. */
  currentPublicKey(): Hex {
    return this.keys[0].publicKey
  }

  /** Number of private keys held (1 outside a rotation). */
  size(): number {
    return this.keys.length
  }

  /** Whether a retiring key is still held. */
  retiring(): boolean {
    return this.keys.some((k) => k.state === 'retiring')
  }

  /**
   * The chain announced `publicKey` as the sealing key: make its private key current (loading it
   * from the config dir when the ring lacks it) and the previous current one retiring. An unknown
   * key (deleted long ago, seen again while replaying history) changes nothing.
   */
  adopt(publicKey: Hex, o: { quiet?: boolean } = {}): boolean {
    const want = publicKey.toLowerCase()
    let found = this.keys.find((k) => k.publicKey === want)
    if (!found && this.load) {
      let keys: Uint8Array[] = []
      try {
        keys = this.load()
      } catch (err) {
        // An unreadable profile or key file must not stop the view: records stay as they open now.
        this.logger?.warn({ err: (err as Error).message }, 'cannot read the config dir\'s sealing keys')
      }
      for (const k of keys) if (pub(k) === want) found = this.add(k, 'next')
    }
    if (!found) {
      if (!o.quiet) this.logger?.warn({ publicKey: want }, 'the sealing key changed on chain and this config dir has no private key for it: records sealed to it cannot be opened here')
      return false
    }
    if (found.state === 'current') return true
    for (const k of this.keys) if (k.state === 'current') k.state = 'retiring'
    found.state = 'current'
    this.keys = [found, ...this.keys.filter((k) => k !== found)]
    this.logger?.info({ publicKey: want }, 'following the sealing key rotation: new key in use, old one kept until every record is re-sealed')
    return true
  }

  /** Opens a sealed value with the current key, else any other held key; undefined when none opens it. */
  open(sealed: Hex, context: string): Opened | undefined {
    for (const k of this.keys) {
      try {
        return { value: openValue(k.privateKey, sealed, context), publicKey: k.publicKey }
      } catch {
        // try the next key
      }
    }
    return undefined
  }

  /** The held keys in the order open() tries them (current first), for opening in a SealingPool. */
  openingKeys(): { publicKey: Hex; privateKey: Uint8Array }[] {
    return this.keys.map((k) => ({ publicKey: k.publicKey, privateKey: k.privateKey }))
  }

  /** Forgets every retiring key (zeroing it); returns how many. Call when nothing is sealed to them any more. */
  retire(): number {
    const gone = this.keys.filter((k) => k.state === 'retiring')
    for (const k of gone) k.privateKey.fill(0)
    this.keys = this.keys.filter((k) => k.state !== 'retiring')
    return gone.length
  }

  private add(privateKey: Uint8Array, state: KeyState): RingKey {
    const p = pub(privateKey)
    const existing = this.keys.find((k) => k.publicKey === p)
    if (existing) return existing
    const k = { publicKey: p, privateKey, state }
    this.keys.push(k)
    return k
  }
}

function pub(privateKey: Uint8Array): Hex {
  return sealingKeyToHex(sealingPublicKeyOf(privateKey)).toLowerCase() as Hex
}
