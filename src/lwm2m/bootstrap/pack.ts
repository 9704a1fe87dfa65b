import { encodeSenmlCborEntries } from '../codec/senml-cbor.js'
import { encodeSenmlJsonEntries } from '../codec/senml-json.js'
import { encodeEntries } from '../codec/senml-write.js'
import { ContentFormat } from '../content-format.js'
import type { ClientSecurity } from '../security-store.js'
import type { BootstrapConfig } from './config.js'
import { securityInstance, serverInstance } from './instances.js'

/** Content formats a Bootstrap-Pack is served in (LwM2M 1.2 TS Core §6.1.7.1: SenML CBOR or JSON). */
export const BSPACK_FORMATS: readonly number[] = [ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON]

/**
 * The Bootstrap-Pack of a device (`GET /bspack`, LwM2M 1.2): the same Security and Server
 * instances a `POST /bs` session writes, in one SenML pack. There is no Bootstrap-Discover before
 * it, so the Security instance goes at the configured id, else 1 (clients keep their bootstrap
 * account, usually at /0/0). SenML JSON carries opaque values as RFC 8428 base64url: a pack is a
 * GET answer, so no client-specific fallback is possible (Wakaama does not ask for packs).
 */
export function bootstrapPack(client: ClientSecurity, serverKey: Uint8Array, config: BootstrapConfig, format: number): Uint8Array {
  const securityId = config.securityInstanceId ?? 1
  const entries = [
    ...encodeEntries(securityInstance(client, serverKey, securityId, config), { objectId: 0, instanceId: securityId }, 'bspack', true),
    ...encodeEntries(serverInstance(config.serverInstanceId, config), { objectId: 1, instanceId: config.serverInstanceId }, 'bspack', true),
  ]
  return format === ContentFormat.SENML_JSON ? encodeSenmlJsonEntries(entries) : encodeSenmlCborEntries(entries)
}
