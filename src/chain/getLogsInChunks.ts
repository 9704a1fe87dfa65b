export interface GetLogsInChunksParameters<L> {
  fromBlock: bigint
  toBlock: bigint
  /** Blocks per eth_getLogs request to start with (public RPCs cap ranges). Default 5,000. */
  chunkSize?: bigint
  /** One eth_getLogs over [from, to]; the caller chooses address, event and topics. */
  fetch: (from: bigint, to: bigint) => Promise<L[]>
  /** Called after each chunk with its logs, in block order. */
  onChunk?: (logs: L[], toBlock: bigint) => void
}

/**
 * Fetches logs over a block range chunk by chunk. Records travel in event data, so a busy range
 * can exceed what an RPC answers or a client accepts (viem caps bodies at 10 MB, public nodes
 * lower): when a request over several blocks fails, the chunk is halved, and stays halved for
 * the rest of the range. A failure on a single block is the caller's (e.g. the RPC is down).
 */
export async function getLogsInChunks<L>(p: GetLogsInChunksParameters<L>): Promise<L[]> {
  let span = p.chunkSize ?? 5_000n
  const all: L[] = []
  for (let from = p.fromBlock; from <= p.toBlock; ) {
    const to = from + span - 1n < p.toBlock ? from + span - 1n : p.toBlock
    let logs: L[]
    try {
      logs = await p.fetch(from, to)
    } catch (err) {
      if (to === from) throw err
      span = (to - from + 1n) / 2n
      continue
    }
    p.onChunk?.(logs, to)
    for (const log of logs) all.push(log)
    from = to + 1n
  }
  return all
}

