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

  it('halves the chunk when a range is refused for an unknown reason, and widens again after successes', async () => {
    const s = source(3n)
    const chunks: bigint[] = []
    const logs = await getLogsInChunks({ fromBlock: 0n, toBlock: 13n, chunkSize: 16n, fetch: s.fetch, onChunk: (_, to) => void chunks.push(to) })
    expect(logs).toHaveLength(14)
    // 14 blocks refused → 7 → 3 pass three times; widened to 6 (5 left) refused → 2.
    expect(chunks).toEqual([2n, 5n, 8n, 10n, 12n, 13n])
    expect(s.requests).toContainEqual([9n, 13n])
  })

  it('takes the range cap a provider names, and never widens past it', async () => {
    const requests: [bigint, bigint][] = []
    const fetch = async (from: bigint, to: bigint): Promise<bigint[]> => {
      requests.push([from, to])
      if (to - from + 1n > 1_000n) throw new Error('exceed maximum block range: 1000')
      return []
    }
    await getLogsInChunks({ fromBlock: 0n, toBlock: 9_999n, chunkSize: 5_000n, fetch })
    expect(requests[0]).toEqual([0n, 4_999n])
    expect(requests.slice(1).every(([f, t]) => t - f + 1n === 1_000n)).toBe(true)
    expect(requests).toHaveLength(11)
  })

  it('takes the range a provider suggests on a result cap', async () => {
    const requests: [bigint, bigint][] = []
    const fetch = async (from: bigint, to: bigint): Promise<bigint[]> => {
      requests.push([from, to])
      if (from === 0n && to > 0x2fn) throw new Error('query returned more than 10000 results. Try with this block range [0x0, 0x2f].')
      return []
    }
    await getLogsInChunks({ fromBlock: 0n, toBlock: 999n, chunkSize: 1_000n, fetch })
    expect(requests.slice(0, 3)).toEqual([[0n, 999n], [0n, 0x2fn], [0x30n, 0x5fn]])
  })

  it('waits as Retry-After says on a 429, then asks again', async () => {
    const waits: number[] = []
    let calls = 0
    const fetch = async (): Promise<bigint[]> => {
      if (++calls <= 2) throw Object.assign(new Error('HTTP request failed. Status: 429'), { status: 429, headers: new Headers({ 'retry-after': '3' }) })
      return [1n]
    }
    const logs = await getLogsInChunks({ fromBlock: 0n, toBlock: 9n, chunkSize: 100n, fetch, sleep: async (ms) => void waits.push(ms) })
    expect(logs).toEqual([1n])
    expect(waits).toEqual([3_000, 3_000])
  })

  it('gives up when a single block is refused', async () => {
    const failing = async (): Promise<never> => {
      throw new Error('connection refused')
    }
    await expect(getLogsInChunks({ fromBlock: 5n, toBlock: 8n, fetch: failing })).rejects.toThrow('connection refused')
  })
})
