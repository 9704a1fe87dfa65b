import { randomBytes } from 'node:crypto'
import { provisionClients } from '../../chain/clients/provisionClients.js'
import { DEFAULT_BOOTSTRAP_URI, DEFAULT_SERVER_URI } from '../../chain/records/clientRecord.js'
import { openChain, type ChainCommandOptions } from '../lib/context.js'
import type { SimDeviceSpec } from './credentials.js'
import { parseSimDevices } from './credentials.js'

export interface ProvisionSimOptions {
  /** Endpoint names to provision; each gets generated identities and printable 16-byte PSKs. */
  endpoints: string[]
  bootstrapUri?: string
  serverUri?: string
  onProgress?: (done: number, total: number) => void
}

/** `${prefix}${run}-${i}` names: a fresh run id so a second `simulate --provision` never collides. */
export function simEndpointNames(prefix: string, count: number): string[] {
  const run = randomBytes(3).toString('hex')
  return Array.from({ length: count }, (_, i) => `${prefix}${run}-${i + 1}`)
}

/** Provisions devices on chain (one batched import) and returns their credentials in clear. */
export async function provisionSimDevices(o: ChainCommandOptions, p: ProvisionSimOptions): Promise<SimDeviceSpec[]> {
  const { deployment, conn } = await openChain(o, { signer: true, deployment: true })
  const report = await provisionClients(conn, {
    ...deployment.contracts,
    deployBlock: BigInt(deployment.deployBlock),
    sealingPublicKey: deployment.sealingPublicKey,
    rows: p.endpoints.map((endpoint, i) => ({
      row: i + 1,
      input: { endpoint, bootstrapUri: p.bootstrapUri ?? DEFAULT_BOOTSTRAP_URI, serverUri: p.serverUri ?? DEFAULT_SERVER_URI },
    })),
    printableKeys: true,
    onProgress: p.onProgress,
  })
  // Only landed rows: the report's shape is what parseSimDevices reads from an import report.
  return parseSimDevices(JSON.stringify(report), 'provisioning report')
}
