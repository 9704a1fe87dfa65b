import { describe, expect, it } from 'vitest'
import { encodeAbiParameters, encodeEventTopics, parseEventLogs, toHex, type Hex } from 'viem'
import { clientStoreAbi } from '../generated/contracts.js'
import { clientRecordParameter } from '../records/abiStructs.js'
import { decodeClientLog } from './decodeClientLog.js'
import { decodeStoreEvents } from './fetchStoreEvents.js'

const h = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
const record = (ep: string) => ({
  endpoint: ep,
  bootstrapUri: 'coaps://127.0.0.1:5784',
  bootstrapIdentity: `bs-${ep}`,
  bootstrapKeySealed: `0x${'a1'.repeat(97)}` as Hex,
  serverUri: 'coaps://[::1]:5684',
  serverIdentity: ep,
  serverKeySealed: '0x' as Hex,
})

function clientLog(name: 'ClientAdded' | 'ClientUpdated', i: number, ep: string, data?: Hex) {
  return {
    address: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    topics: encodeEventTopics({ abi: clientStoreAbi, eventName: name, args: { endpointHash: h(i), bootstrapIdentityHash: h(i + 1), serverIdentityHash: h(i + 2) } }),
    data: data ?? encodeAbiParameters([{ type: 'uint64' }, clientRecordParameter], [BigInt(i), record(ep)]),
    // eth_getLogs's hex quantities, as fetchStoreEvents gets them.
    blockNumber: toHex(1000 - i),
    logIndex: toHex(i % 3),
    blockHash: h(7),
    transactionHash: h(8),
    transactionIndex: '0x0',
    removed: false,
  } as const
}

describe('decodeClientLog', () => {
  it('reads what viem reads: UTF-8, spaces, a 252-byte name, an empty key, bytes that are not UTF-8', () => {
    const names = ['dev-1', 'Gerät Küche 3', 'x'.repeat(252), '', `bad-${String.fromCharCode(0xd800)}`]
    expect(clientLog('ClientAdded', 1, names[4]).data).toContain('efbfbd')
    for (const [i, ep] of names.entries()) {
      for (const name of ['ClientAdded', 'ClientUpdated'] as const) {
        const encoded = clientLog(name, i + 1, ep)
        // The lone surrogate is encoded as U+FFFD (EF BF BD): make those bytes invalid UTF-8.
        const log = { ...encoded, data: encoded.data.replaceAll('efbfbd', 'ff80fe') as Hex }
        const [viem] = parseEventLogs({ abi: clientStoreAbi, logs: [log as never], strict: true })
        const ours = decodeClientLog(log)
        expect(ours).toEqual({ type: name, endpointHash: (viem.args as { endpointHash: Hex }).endpointHash, version: Number((viem.args as { version: bigint }).version), record: (viem.args as { record: unknown }).record })
      }
    }
  })

  it('leaves a layout it does not expect to viem, and decodeStoreEvents still returns every event in chain order', () => {
    const good = clientLog('ClientAdded', 5, 'a')
    // The record's tuple one word further on: valid ABI, not the usual layout.
    const body = good.data.slice(2 + 64 * 2)
    const shifted = clientLog('ClientAdded', 9, 'a', `0x${good.data.slice(2, 2 + 64)}${h(96).slice(2)}${'0'.repeat(64)}${body}` as Hex)
    expect(decodeClientLog(shifted)).toBeUndefined()
    const truncated = clientLog('ClientUpdated', 2, 'b', good.data.slice(0, good.data.length - 64) as Hex)
    expect(decodeClientLog(truncated)).toBeUndefined()
    const events = decodeStoreEvents([good, shifted, truncated] as never)
    // viem decodes the shifted one; the truncated one is dropped, as its strict decoder does.
    expect(events.map((e) => [e.type, e.block, e.type === 'ClientAdded' ? e.record.endpoint : undefined])).toEqual([
      ['ClientAdded', 991n, 'a'],
      ['ClientAdded', 995n, 'a'],
    ])
  })
})
