import { encodeFunctionData } from 'viem'
import { describe, expect, it } from 'vitest'
import { clientStoreAbi } from '../generated/contracts.js'
import { buildClientSpec, sealClientRecord } from '../records/clientRecord.js'
import { generateSealingKeyPair, sealingKeyToHex } from '../sealing.js'
import { cutBatches, DEFAULT_BATCH_RECORDS, MAX_BATCH_BYTES } from './addClients.js'

const publicKey = sealingKeyToHex(generateSealingKeyPair().publicKey)
const record = (endpoint: string, uri = 'coaps://127.0.0.1:5684') => sealClientRecord(buildClientSpec({ endpoint, serverUri: uri, bootstrapUri: uri }).spec, publicKey)
const calldata = (records: ReturnType<typeof record>[]) => (encodeFunctionData({ abi: clientStoreAbi, functionName: 'addClients', args: [records] }).length - 2) / 2

describe('cutBatches', () => {
  it('cuts typical records by count', () => {
    const records = Array.from({ length: 2 * DEFAULT_BATCH_RECORDS + 7 }, (_, i) => record(`dev-${i}`))
    const batches = cutBatches(records, DEFAULT_BATCH_RECORDS)
    expect(batches.map((b) => [b.start, b.records.length])).toEqual([[0, 120], [120, 120], [240, 7]])
    for (const b of batches) expect(calldata(b.records)).toBeLessThanOrEqual(MAX_BATCH_BYTES)
  })

  it('cuts long records by their calldata bytes, each batch under the cap and close to it', () => {
    const long = 'é'.repeat(126) // 252 bytes, the longest endpoint
    const records = Array.from({ length: 300 }, (_, i) => record(`${long.slice(0, 120)}-${i}`, `coaps://[::1]:5684/${'p'.repeat(200)}`))
    const batches = cutBatches(records, 1_000)
    expect(batches.length).toBeGreaterThan(1)
    expect(batches.reduce((n, b) => n + b.records.length, 0)).toBe(300)
    for (const b of batches.slice(0, -1)) {
      const bytes = calldata(b.records)
      expect(bytes).toBeLessThanOrEqual(MAX_BATCH_BYTES)
      // One more record would not have fitted: the count is what the bytes allow.
      expect(bytes + calldata([b.records[0]]) - 68).toBeGreaterThan(MAX_BATCH_BYTES)
    }
  })
})
