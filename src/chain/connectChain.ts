import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  createNonceManager,
  type Chain,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { getTransactionCount } from 'viem/actions'
import { redactUrl, UsageError } from '../errors/base.js'
import { ANVIL_ACCOUNT_0_KEY, EMBEDDED_CHAIN_ID } from './devAccounts.js'
import { ChainUnreachableError, SignerRequiredError, WrongChainError } from './errors.js'
import { toChainError } from './toChainError.js'

export interface ConnectChainOptions {
  rpcUrl: string
  /** Signer key; without it, anvil's account 0 on the embedded chain, otherwise no signer. */
  privateKey?: Hex
  /** Chain id the profile was deployed on; a different one fails with WrongChainError. */
  expectedChainId?: number
  /** Fail with SignerRequiredError when no signer can be had. */
  requireSigner?: boolean
  /** No signer at all, not even anvil's account 0 on the embedded chain (read-only daemons). */
  readOnly?: boolean
  /**
   * When the RPC cannot be reached, carry on as if it served `expectedChainId` (for daemons that
   * start during an outage and serve their ChainView snapshot). Needs expectedChainId.
   */
  allowOffline?: boolean
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number
}

/** A connected chain: a public client, and a wallet client when a signer is available. */
export interface ChainConnection {
  rpcUrl: string
  chainId: number
  chain: Chain
  publicClient: PublicClient<Transport, Chain>
  walletClient?: WalletClient<Transport, Chain, PrivateKeyAccount>
  account?: PrivateKeyAccount
}

/** True for an http(s) URL with a host: the JSON-RPC endpoints lwchain can talk to. */
export function isRpcUrl(url: string): boolean {
  return /^https?:\/\/[^/\s]+/i.test(url)
}

/**
 * Connects to an RPC endpoint: checks it answers and serves the expected chain, and builds the
 * signer. The account uses viem's nonce manager so concurrent sends get consecutive nonces.
 */
export async function connectChain(options: ConnectChainOptions): Promise<ChainConnection> {
  const { rpcUrl } = options
  if (!isRpcUrl(rpcUrl)) {
    throw new UsageError(`invalid RPC URL "${redactUrl(rpcUrl)}" (expected http:// or https://)`)
  }
  // Bodies up to 64 MiB: one block's logs cannot be split by eth_getLogs, and a chain with a large
  // block gas limit (a dev chain, an L2) can carry over viem's default 10 MiB of events in one block.
  const transport = http(rpcUrl, { retryCount: 1, timeout: options.timeoutMs ?? 10_000, maxResponseBodySize: 64 * 1024 * 1024 })
  const probe = createPublicClient({ transport })
  let chainId: number
  try {
    chainId = await probe.getChainId()
  } catch (err) {
    const e = toChainError(err, { rpcUrl })
    const unreachable = e.code === 'LWC_CHAIN_CALL' ? new ChainUnreachableError(redactUrl(rpcUrl), { cause: err }) : e
    if (!(options.allowOffline && options.expectedChainId !== undefined && unreachable instanceof ChainUnreachableError)) throw unreachable
    chainId = options.expectedChainId
  }
  if (options.expectedChainId !== undefined && options.expectedChainId !== chainId) {
    throw new WrongChainError(options.expectedChainId, chainId)
  }
  const chain = defineChain({
    id: chainId,
    name: chainId === EMBEDDED_CHAIN_ID ? 'lwchain embedded (anvil)' : `chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  })
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 })
  const key = options.readOnly ? undefined : options.privateKey ?? (chainId === EMBEDDED_CHAIN_ID ? ANVIL_ACCOUNT_0_KEY : undefined)
  if (!key) {
    if (options.requireSigner) throw new SignerRequiredError()
    return { rpcUrl, chainId, chain, publicClient }
  }
  // One nonce manager per connection: viem's shared one is keyed by address and chain id only, so
  // it would carry nonces over from a previous chain with the same id (a restarted anvil).
  const nonceManager = createNonceManager({
    source: { get: ({ address, client }) => getTransactionCount(client, { address, blockTag: 'pending' }), set() {} },
  })
  const account = privateKeyToAccount(key, { nonceManager })
  const walletClient = createWalletClient({ account, chain, transport })
  return { rpcUrl, chainId, chain, publicClient, walletClient, account }
}
