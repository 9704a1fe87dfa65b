import { describe, expect, it } from 'vitest'
import { getLogsInChunks } from './getLogsInChunks.js'

/** A log source over blocks 0..n where a request spanning more than `maxSpan` blocks is refused. */
function source(maxSpan: bigint) {
  const requests: [bigint, bigint][] = []
  const fetch = async (from: bigint, to: bigint): Promise<bigint[]> => {
    requests.push([from, to])
    if (to - from + 1n > maxSpan) throw new Error('HTTP response body exceeded the size limit.')
    const out: bigint[] = []
    for (let b = from; b <= to; b++) out.push(b)
    return out
  }
  return { fetch, requests }
}

describe('getLogsInChunks', () => {
  it('returns every log of the range in block order', async () => {
    const s = source(1_000n)
    const logs = await getLogsInChunks({ fromBlock: 3n, toBlock: 12n, chunkSize: 4n, fetch: s.fetch })
    expect(logs).toEqual([3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n])
    expect(s.requests).toEqual([[3n, 6n], [7n, 10n], [11n, 12n]])
  })

  it('halves the chunk when a range is refused, and keeps it halved', async () => {
    const s = source(3n)
    const chunks: bigint[] = []
    const logs = await getLogsInChunks({ fromBlock: 0n, toBlock: 9n, chunkSize: 16n, fetch: s.fetch, onChunk: (_, to) => chunks.push(to) })
    expect(logs).toHaveLength(10)
    expect(chunks).toEqual([1n, 3n, 5n, 7n, 9n])
  })

  it('gives up when a single block is refused', async () => {
    const failing = async (): Promise<never> => {
      throw new Error('connection refused')
    }
    await expect(getLogsInChunks({ fromBlock: 5n, toBlock: 8n, fetch: failing })).rejects.toThrow('connection refused')
  })
})
