import type { Hex } from 'viem'

/** Chain id of anvil, the embedded chain. */
export const EMBEDDED_CHAIN_ID = 31337

/** Default RPC URL: what `lwchain chain start` listens on. */
export const DEFAULT_RPC_URL = 'http://127.0.0.1:8545'

/**
 * Anvil's well-known account 0 (from its public test mnemonic). Used as the default signer on the
 * embedded chain only; it is public knowledge, not a secret, and is never used on other chains.
 */
export const ANVIL_ACCOUNT_0_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
