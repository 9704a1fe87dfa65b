import type { Hash } from 'viem'
import { addClient } from '../../chain/clients/addClient.js'
import { buildClientSpec, sealClientRecord, type ClientInput, type GeneratedFields } from '../../chain/records/clientRecord.js'
import { InvalidInputError } from '../../chain/records/validate.js'
import { checkEndpointName } from '../../lwm2m/endpoint-name.js'
import { asUsage } from '../lib/commandOptions.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'
import { keyHex } from '../lib/output.js'

/** `client add` result; keys as hex. Exactly DESIGN.md's JSON (plus `generated` in text mode only). */
export interface ClientAddResult {
  endpoint: string
  bootstrap: { uri: string; identity: string; key: string }
  server: { uri: string; identity: string; key: string }
  txHash: Hash
}

/** Registers one client: validates, generates what is missing, seals the keys, sends addClient. */
export async function runClientAdd(
  o: ChainCommandOptions,
  input: ClientInput,
): Promise<{ result: ClientAddResult; generated: GeneratedFields }> {
  // Validate before touching the chain, so bad input fails fast and offline.
  // The one endpoint-name rule: a name the devices, daemons and simulator all accept, or one clear line.
  const { spec, generated } = asUsage(() => {
    checkEndpointName(input.endpoint, (m) => new InvalidInputError(m))
    return buildClientSpec(input)
  })
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const record = sealClientRecord(spec, deployment.sealingPublicKey)
  const { txHash } = await addClient(conn, { clientStore: deployment.contracts.clientStore, record })
  return {
    result: {
      endpoint: spec.endpoint,
      bootstrap: { uri: spec.bootstrap.uri, identity: spec.bootstrap.identity, key: keyHex(spec.bootstrap.key) },
      server: { uri: spec.server.uri, identity: spec.server.identity, key: keyHex(spec.server.key) },
      txHash,
    },
    generated,
  }
}
