import { randomBytes } from 'node:crypto'
import type { Hex } from 'viem'
import { connectChain, type ChainConnection } from '../../src/chain/connectChain.js'
import { deployContracts } from '../../src/chain/deployContracts.js'
import { addClient } from '../../src/chain/clients/addClient.js'
import { buildClientSpec, sealClientRecord, type ClientSpec } from '../../src/chain/records/clientRecord.js'
import { generateSealingKeyPair, sealingKeyToHex } from '../../src/chain/sealing.js'

/** A fresh deployment on a test chain, with its sealing key pair. */
export interface GivenDeployment {
  conn: ChainConnection
  clientStore: Hex
  userStore: Hex
  anomalyStore: Hex
  deployBlock: bigint
  sealingPublicKey: Hex
  sealingPrivateKey: Uint8Array
  /** The deployment's e-mail key (HMAC key of the e-mail lookup hashes). */
  emailKey: Uint8Array
  /** Registers a client with generated credentials; returns its spec (with clear keys). */
  addGeneratedClient(endpoint: string): Promise<{ spec: ClientSpec; block: bigint }>
}

/** Deploys the three stores on `rpcUrl` from anvil's account 0. */
export async function givenDeployment(rpcUrl: string): Promise<GivenDeployment> {
  const conn = await connectChain({ rpcUrl })
  const keys = generateSealingKeyPair()
  const d = await deployContracts(conn.walletClient!, conn.publicClient, { sealingPublicKey: keys.publicKey })
  const sealingPublicKey = sealingKeyToHex(keys.publicKey)
  return {
    conn,
    ...d,
    sealingPublicKey,
    sealingPrivateKey: keys.privateKey,
    emailKey: new Uint8Array(randomBytes(32)),
    async addGeneratedClient(endpoint) {
      const { spec } = buildClientSpec({ endpoint })
      const { block } = await addClient(conn, { clientStore: d.clientStore, record: sealClientRecord(spec, sealingPublicKey) })
      return { spec, block }
    },
  }
}
