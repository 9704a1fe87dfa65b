import type { Account, Address, Chain, Hex, PublicClient, Transport, WalletClient } from 'viem'
import { LwchainError } from '../errors/base.js'
import {
  anomalyStoreAbi,
  anomalyStoreBytecode,
  clientStoreAbi,
  clientStoreBytecode,
  userStoreAbi,
  userStoreBytecode,
} from './generated/contracts.js'

/** Where `deployContracts` put the three stores, and the block to read their events from. */
export interface DeployedContracts {
  clientStore: Address
  userStore: Address
  anomalyStore: Address
  deployBlock: bigint
}

/** A deployment transaction was mined but created no contract (reverted or out of gas). */
export class DeployFailedError extends LwchainError {
  override name = 'DeployFailedError'
  constructor(contract: string, txHash: Hex) {
    super(`deploying ${contract} failed (transaction ${txHash})`, { code: 'LWC_DEPLOY_FAILED' })
  }
}

/**
 * Deploys ClientStore, UserStore and AnomalyStore from the wallet's account (which receives every
 * role) and waits for all three receipts. The three transactions are sent back to back with
 * consecutive nonces; `deployBlock` is the earliest block that holds one of them.
 */
export async function deployContracts(
  walletClient: WalletClient<Transport, Chain | undefined, Account>,
  publicClient: PublicClient,
  { sealingPublicKey }: { sealingPublicKey: Uint8Array | Hex },
): Promise<DeployedContracts> {
  const key = typeof sealingPublicKey === 'string' ? sealingPublicKey : toHex(sealingPublicKey)
  const account = walletClient.account
  const chain = walletClient.chain
  // Explicit nonces, so sending all three before waiting cannot make two share one.
  let nonce = await publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' })
  const sent: [string, Hex][] = [
    ['ClientStore', await walletClient.deployContract({ abi: clientStoreAbi, bytecode: clientStoreBytecode, args: [key], account, chain, nonce: nonce++ })],
    ['UserStore', await walletClient.deployContract({ abi: userStoreAbi, bytecode: userStoreBytecode, args: [key], account, chain, nonce: nonce++ })],
    ['AnomalyStore', await walletClient.deployContract({ abi: anomalyStoreAbi, bytecode: anomalyStoreBytecode, account, chain, nonce: nonce++ })],
  ]
  const receipts = await Promise.all(sent.map(([, hash]) => publicClient.waitForTransactionReceipt({ hash })))
  const addresses = receipts.map((r, i) => {
    if (r.status !== 'success' || !r.contractAddress) throw new DeployFailedError(sent[i][0], sent[i][1])
    return r.contractAddress
  })
  const deployBlock = receipts.reduce((min, r) => (r.blockNumber < min ? r.blockNumber : min), receipts[0].blockNumber)
  return { clientStore: addresses[0], userStore: addresses[1], anomalyStore: addresses[2], deployBlock }
}

function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString('hex')}`
}
