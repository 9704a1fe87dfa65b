import { readClientRecord } from '../../chain/clients/readClientRecord.js'
import { ClientNotFoundError } from '../../chain/errors.js'
import { readSealingKey } from '../../chain/profile.js'
import { openClientRecord } from '../../chain/records/clientRecord.js'
import { validateText } from '../../chain/records/validate.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'
import { keyHex } from '../lib/output.js'

/** `client show` result; keys only with --reveal. */
export interface ClientShowResult {
  endpoint: string
  bootstrap: { uri: string; identity: string; key?: string }
  server: { uri: string; identity: string; key?: string }
  version: number
  updatedAt: string
}

/** Shows a client's current record; with `reveal`, unseals its keys with the config dir's sealing key. */
export async function runClientShow(o: ChainCommandOptions, endpoint: string, reveal = false): Promise<ClientShowResult> {
  validateText(endpoint, 'endpoint name')
  const { profile, deployment, conn } = await openChain(o, { signer: false, deployment: true })
  const read = await readClientRecord(conn.publicClient, {
    clientStore: deployment.contracts.clientStore,
    endpoint,
    deployBlock: BigInt(deployment.deployBlock),
    rpcUrl: conn.rpcUrl,
  })
  if (!read) throw new ClientNotFoundError(endpoint)
  const r = read.record
  const result: ClientShowResult = {
    endpoint: r.endpoint,
    bootstrap: { uri: r.bootstrapUri, identity: r.bootstrapIdentity },
    server: { uri: r.serverUri, identity: r.serverIdentity },
    version: read.version,
    updatedAt: new Date(read.updatedAt * 1000).toISOString(),
  }
  if (reveal) {
    const spec = openClientRecord(r, readSealingKey(profile))
    result.bootstrap.key = keyHex(spec.bootstrap.key)
    result.server.key = keyHex(spec.server.key)
  }
  return result
}
