import { addClients } from '../../src/chain/clients/addClients.js'
import { buildClientSpec, sealClientRecord, type ClientInput } from '../../src/chain/records/clientRecord.js'
import { openChain } from '../../src/commands/lib/context.js'

/** A provisioned device with its keys (hex), as `client add` prints it. */
export interface Provisioned {
  endpoint: string
  bootstrap: { uri: string; identity: string; key: string }
  server: { uri: string; identity: string; key: string }
}

/**
 * Provisions devices straight through addClients batches (keys generated, records sealed), without
 * `client import`'s pre-check, which reads every ClientStore log in one getLogs and fails once the
 * registry holds about 4,500 clients (response over viem's 10 MB limit; see bench/results.md).
 */
export async function provisionDirect(cmd: { configDir: string; rpc: string }, inputs: ClientInput[], batchSize = 100): Promise<Provisioned[]> {
  const { deployment, conn } = await openChain(cmd, { signer: true, deployment: true })
  const specs = inputs.map((i) => buildClientSpec(i).spec)
  const results = await addClients(conn, { clientStore: deployment.contracts.clientStore, records: specs.map((s) => sealClientRecord(s, deployment.sealingPublicKey)), batchSize })
  const failed = results.filter((r) => r.status !== 'landed')
  if (failed.length) throw new Error(`${failed.length} batches failed: ${failed[0].error?.shortMessage}`)
  const hex = (k: Uint8Array) => Buffer.from(k).toString('hex')
  return specs.map((s) => ({
    endpoint: s.endpoint,
    bootstrap: { uri: s.bootstrap.uri, identity: s.bootstrap.identity, key: hex(s.bootstrap.key) },
    server: { uri: s.server.uri, identity: s.server.identity, key: hex(s.server.key) },
  }))
}
