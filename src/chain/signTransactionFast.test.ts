import { describe, expect, it } from 'vitest'
import { keccak256, parseTransaction, recoverTransactionAddress, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { signTransactionFast } from './signTransactionFast.js'

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const big = `0x${'ab'.repeat(120 * 1024)}` as Hex

describe('signTransactionFast', () => {
  for (const [name, data] of [['empty calldata', undefined], ['short calldata', '0x1234'], ['120 KiB of calldata', big]] as const) {
    it(`gives viem's own bytes and hash for ${name}`, async () => {
      const tx = { chainId: 31337, to: account.address, data, nonce: 7, gas: 21_000n + 2_000_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000n, value: 0n }
      const ours = await signTransactionFast(account, tx)
      const viems = await account.signTransaction({ ...tx, type: 'eip1559' })
      expect(ours.raw).toBe(viems)
      expect(ours.hash).toBe(keccak256(viems))
      expect(await recoverTransactionAddress({ serializedTransaction: ours.raw as never })).toBe(account.address)
      expect(parseTransaction(ours.raw).nonce).toBe(7)
    })
  }
})
