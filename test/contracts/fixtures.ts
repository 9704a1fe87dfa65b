import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  http,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { deployContracts, type DeployedContracts } from '../../src/chain/deployContracts.js'
import { generateSealingKeyPair, seal, type SealingKeyPair } from '../../src/chain/sealing.js'
import type { OnChainClientRecord } from '../../src/chain/records/clientRecord.js'
import { DEPLOYER_KEY, STRANGER_KEY, startAnvil, type TestAnvil } from '../helpers/anvil.js'

/** Everything a contract test needs: a fresh anvil with the three stores deployed. */
export interface ContractFixture {
  anvil: TestAnvil
  publicClient: PublicClient
  deployer: WalletClient<Transport, Chain, Account>
  stranger: WalletClient<Transport, Chain, Account>
  contracts: DeployedContracts
  sealing: SealingKeyPair
}

/** Starts anvil and deploys the stores from account 0. */
export async function givenDeployedStores(anvilArgs: string[] = []): Promise<ContractFixture> {
  const anvil = await startAnvil({ args: anvilArgs })
  const transport = http(anvil.rpcUrl)
  const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 50 }) as PublicClient
  const wallet = (key: Hex) =>
    createWalletClient({ account: privateKeyToAccount(key), chain: foundry, transport, pollingInterval: 50 })
  const deployer = wallet(DEPLOYER_KEY)
  const sealing = generateSealingKeyPair()
  const contracts = await deployContracts(deployer, publicClient, { sealingPublicKey: sealing.publicKey })
  return { anvil, publicClient, deployer, stranger: wallet(STRANGER_KEY), contracts, sealing }
}

const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`

/** A realistic client record (IMEI-style endpoint, loopback URIs, 16-byte PSKs sealed: 77 bytes). */
export function clientRecord(sealingPublicKey: Uint8Array, n: number, over: Partial<OnChainClientRecord> = {}) {
  const endpoint = over.endpoint ?? `urn:imei:35${String(n).padStart(13, '0')}`
  const psk = new Uint8Array(16).fill(n % 251)
  return {
    endpoint,
    bootstrapUri: 'coaps://127.0.0.1:5784',
    bootstrapIdentity: `bs-${String(n).padStart(17, '0')}`,
    bootstrapKeySealed: hex(seal(sealingPublicKey, psk, `lwchain:client:bootstrap-psk:${endpoint}`)),
    serverUri: 'coaps://127.0.0.1:5684',
    serverIdentity: `sv-${String(n).padStart(17, '0')}`,
    serverKeySealed: hex(seal(sealingPublicKey, psk, `lwchain:client:server-psk:${endpoint}`)),
    ...over,
  }
}

/** The custom error a contract call reverted with (name and decoded arguments). */
export async function revertOf(p: Promise<unknown>): Promise<{ errorName: string; args: readonly unknown[] }> {
  try {
    await p
  } catch (err) {
    const reverted = (err as BaseError).walk?.((e) => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError && reverted.data) {
      return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] }
    }
    throw err
  }
  throw new Error('expected the call to revert, but it succeeded')
}

/** Sends a contract write and waits for it; returns the receipt. */
export async function mined(f: ContractFixture, hash: Promise<Hex>) {
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash: await hash })
  if (receipt.status !== 'success') throw new Error(`transaction ${receipt.transactionHash} reverted`)
  return receipt
}
