import { randomBytes, randomInt } from 'node:crypto'
import type { Hex } from 'viem'
import { clientKeyContext } from './sealContexts.js'
import { openValue, sealValue, sealValues, type Sealer } from './sealValue.js'
import { parseHexKey, validateCoapUri, validateText } from './validate.js'
import type { OnChainClientRecord } from './abiStructs.js'

/** Default bootstrap-server URI (what `lwchain serve bootstrap` listens on). */
export const DEFAULT_BOOTSTRAP_URI = 'coaps://127.0.0.1:5784'
/** Default LwM2M-server URI (what `lwchain serve server` listens on). */
export const DEFAULT_SERVER_URI = 'coaps://127.0.0.1:5684'
/** Length of generated PSKs. */
export const PSK_BYTES = 16

/** One side of a client's credentials in clear (never goes on chain like this). */
export interface ClientCredentials {
  uri: string
  identity: string
  key: Uint8Array
}

/** A client's full record in clear. */
export interface ClientSpec {
  endpoint: string
  bootstrap: ClientCredentials
  server: ClientCredentials
}

/** The ClientStore struct (keys sealed, everything else public), derived from the generated ABI. */
export type { OnChainClientRecord }

/** Input for building a spec: anything omitted is defaulted or generated. */
export interface ClientInput {
  endpoint: string
  bootstrapUri?: string
  serverUri?: string
  bsIdentity?: string
  bsKey?: string
  serverIdentity?: string
  serverKey?: string
  /** Generate keys of 16 printable ASCII characters (libcoap takes PSKs as text). */
  printableKeys?: boolean
}

/** Which fields of a spec were generated (so the CLI knows what to print once). */
export interface GeneratedFields {
  bsIdentity: boolean
  bsKey: boolean
  serverIdentity: boolean
  serverKey: boolean
}

const PRINTABLE = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'

/** 16 random bytes, or 16 random printable ASCII characters (still 16 bytes of key). */
export function generatePsk(printable = false): Uint8Array {
  if (!printable) return Uint8Array.from(randomBytes(PSK_BYTES))
  let s = ''
  for (let i = 0; i < PSK_BYTES; i++) s += PRINTABLE[randomInt(PRINTABLE.length)]
  return new TextEncoder().encode(s)
}

/** A random printable PSK identity, e.g. `bs-3f9a0c1d2e4b5a69`. */
export function generateIdentity(prefix: 'bs' | 'srv'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`
}

/** Validates input, fills defaults and generates missing identities and keys. */
export function buildClientSpec(input: ClientInput): { spec: ClientSpec; generated: GeneratedFields } {
  // The LwM2M endpoint-name rule (src/lwm2m/endpoint-name.ts) is applied by the callers (client add, import, the admin API); chain does not import lwm2m.
  const endpoint = validateText(input.endpoint, 'endpoint name')
  const bootstrapUri = validateCoapUri(input.bootstrapUri || DEFAULT_BOOTSTRAP_URI, 'bootstrap URI')
  const serverUri = validateCoapUri(input.serverUri || DEFAULT_SERVER_URI, 'server URI')
  const generated: GeneratedFields = {
    bsIdentity: !input.bsIdentity,
    bsKey: !input.bsKey,
    serverIdentity: !input.serverIdentity,
    serverKey: !input.serverKey,
  }
  const bsIdentity = input.bsIdentity ? validateText(input.bsIdentity, 'bootstrap PSK identity') : generateIdentity('bs')
  const serverIdentity = input.serverIdentity
    ? validateText(input.serverIdentity, 'server PSK identity')
    : generateIdentity('srv')
  const bsKey = input.bsKey ? parseHexKey(input.bsKey, 'bootstrap key') : generatePsk(input.printableKeys)
  const serverKey = input.serverKey ? parseHexKey(input.serverKey, 'server key') : generatePsk(input.printableKeys)
  return {
    spec: {
      endpoint,
      bootstrap: { uri: bootstrapUri, identity: bsIdentity, key: bsKey },
      server: { uri: serverUri, identity: serverIdentity, key: serverKey },
    },
    generated,
  }
}

/** Seals a spec's keys to the deployment's public key: the record that goes on chain. */
export function sealClientRecord(spec: ClientSpec, sealingPublicKey: Hex | Uint8Array): OnChainClientRecord {
  return {
    endpoint: spec.endpoint,
    bootstrapUri: spec.bootstrap.uri,
    bootstrapIdentity: spec.bootstrap.identity,
    bootstrapKeySealed: sealValue(sealingPublicKey, spec.bootstrap.key, clientKeyContext(spec.endpoint, 'bootstrap')),
    serverUri: spec.server.uri,
    serverIdentity: spec.server.identity,
    serverKeySealed: sealValue(sealingPublicKey, spec.server.key, clientKeyContext(spec.endpoint, 'server')),
  }
}

/** Seals many specs' keys with `sealer` (one batch: a pool spreads it over its workers), records in order. */
export async function sealClientRecords(specs: ClientSpec[], sealingPublicKey: Hex | Uint8Array, sealer: Sealer): Promise<OnChainClientRecord[]> {
  const sealed = await sealValues(
    sealer,
    sealingPublicKey,
    specs.flatMap((s) => [
      { plaintext: s.bootstrap.key, context: clientKeyContext(s.endpoint, 'bootstrap') },
      { plaintext: s.server.key, context: clientKeyContext(s.endpoint, 'server') },
    ]),
  )
  return specs.map((spec, i) => ({
    endpoint: spec.endpoint,
    bootstrapUri: spec.bootstrap.uri,
    bootstrapIdentity: spec.bootstrap.identity,
    bootstrapKeySealed: sealed[2 * i],
    serverUri: spec.server.uri,
    serverIdentity: spec.server.identity,
    serverKeySealed: sealed[2 * i + 1],
  }))
}

/** Opens an on-chain record's keys with the sealing private key. */
export function openClientRecord(record: OnChainClientRecord, sealingPrivateKey: Uint8Array): ClientSpec {
  return {
    endpoint: record.endpoint,
    bootstrap: {
      uri: record.bootstrapUri,
      identity: record.bootstrapIdentity,
      key: openValue(sealingPrivateKey, record.bootstrapKeySealed, clientKeyContext(record.endpoint, 'bootstrap')),
    },
    server: {
      uri: record.serverUri,
      identity: record.serverIdentity,
      key: openValue(sealingPrivateKey, record.serverKeySealed, clientKeyContext(record.endpoint, 'server')),
    },
  }
}

