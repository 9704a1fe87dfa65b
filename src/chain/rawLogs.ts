import { numberToHex, type Address, type Hex, type PublicClient } from 'viem'

/** A log as eth_getLogs gives it (hex quantities), or as viem formats it (numbers). */
export interface RawLog {
  topics: readonly (Hex | Hex[] | null)[]
  data: Hex
  blockNumber: bigint | Hex | null
  logIndex: number | Hex | null
  blockHash?: Hex | null
  transactionHash?: Hex | null
}

/**
 * eth_getLogs over [fromBlock, toBlock], unformatted and undecoded. viem's getLogs formats every
 * log (each quantity hex to number) and, given an event, decodes it; the stores' followers decode
 * their hot events by hand and convert only what they keep (`logPosition`).
 */
export function getRawLogs(client: PublicClient, p: { address: Address | Address[]; topics?: (Hex | null)[]; fromBlock: bigint; toBlock: bigint }): Promise<RawLog[]> {
  return client.request({
    method: 'eth_getLogs',
    params: [{ address: p.address, ...(p.topics && { topics: p.topics }), fromBlock: numberToHex(p.fromBlock), toBlock: numberToHex(p.toBlock) }],
  }) as Promise<RawLog[]>
}

/** Sorts by chain position: block, then index in the block. */
export function byChainOrder(x: { block: bigint; logIndex: number }, y: { block: bigint; logIndex: number }): number {
  return x.block === y.block ? x.logIndex - y.logIndex : x.block < y.block ? -1 : 1
}

/** Where a log sits in the chain, from either form. */
export function logPosition(log: RawLog): { block: bigint; logIndex: number } {
  return { block: BigInt(log.blockNumber ?? 0), logIndex: Number(log.logIndex ?? 0) }
}
