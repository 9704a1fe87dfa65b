import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { encodeFunctionData } from 'viem'
import { anomalyStoreAbi } from '../chain/generated/contracts.js'
import { encodedRecordBytes, rawTxBytes, txBytesFor } from './batchSize.js'
import { buildBatch } from './merkle.js'
import type { AnomalyRecord } from './record.js'

const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const rec = (i: number, dataBytes: number): AnomalyRecord => ({
  id: `01J${String(i).padStart(23, '0')}`,
  endpoint: `device-${i}-é`,
  level: 1 + (i % 200),
  data: { pad: 'x'.repeat(dataBytes), i },
  collectedAt: 1_700_000_000 + i,
})

describe('anchor transaction size', () => {
  it('predicts the encoded records exactly and the signed transaction from above, within 64 bytes', async () => {
    for (const [n, size] of [[1, 0], [3, 31], [40, 100], [14, 8_000]] as const) {
      const records = Array.from({ length: n }, (_, i) => rec(i, size))
      const built = buildBatch(records)
      const sum = records.reduce((s, r) => s + encodedRecordBytes(r), 0)
      expect(rawTxBytes(built.encoded)).toBe(64 + sum)
      const data = encodeFunctionData({ abi: anomalyStoreAbi, functionName: 'anchorBatch', args: [built.root, built.count, built.encoded] })
      // Worst case fields: large nonce, gas and fees, a 4-byte chain id.
      const raw = await account.signTransaction({
        type: 'eip1559',
        chainId: 2_147_483_647,
        to: '0xffffffffffffffffffffffffffffffffffffffff',
        data,
        nonce: 2 ** 32,
        gas: 2n ** 32n,
        maxFeePerGas: 10n ** 15n,
        maxPriorityFeePerGas: 10n ** 14n,
      })
      const predicted = txBytesFor(sum)
      expect(predicted).toBeGreaterThanOrEqual(rawTxBytes(raw))
      expect(predicted - rawTxBytes(raw)).toBeLessThan(64)
    }
  })
})
