import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger, type AnomalyLedger, type LedgerEvent } from '../../src/anomalies/ledger.js'
import { anchoredOnChain, eventually, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
let ledger: AnomalyLedger | undefined
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await ledger?.stop()
  await c?.close()
})

const rpc = (method: string, params: unknown[] = []) => c.d.conn.publicClient.request({ method: method as never, params: params as never })
type BatchEvent = Extract<LedgerEvent, { batchId: string }>

describe('anomaly ledger on a reorganising chain', () => {
  it('shows pending → included → anchored (final after N blocks), and un-anchors then re-includes a batch a reorg removed, exactly once', async () => {
    ledger = createAnomalyLedger({
      conn: c.d.conn,
      address: c.d.anomalyStore,
      deployBlock: c.d.deployBlock,
      dataDir: `${c.dir}/reorg`,
      logger: c.logger,
      batchIntervalMs: 20,
      pollIntervalMs: 50,
      finality: { confirmations: 3 },
      maxBatch: 10,
    })
    const events: BatchEvent[] = []
    ledger.subscribe((e) => 'batchId' in e && events.push(e))
    const of = (type: BatchEvent['type']) => events.filter((e) => e.type === type)
    await ledger.start()
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => ledger!.accept({ endpoint: 'rg', level: 1, data: { i } }).then((r) => r.id)))
    // Automine: each batch is mined at once in a block of its own; the last three are not final.
    await eventually(() => new Set(of('included').flatMap((e) => e.ids)).size === 30)
    const head = await c.d.conn.publicClient.getBlockNumber({ cacheTime: 0 })
    const notFinal = of('included').filter((e) => BigInt(e.block) > head - 3n)
    expect(notFinal.length).toBeGreaterThanOrEqual(2)
    for (const e of notFinal) for (const id of e.ids) expect(ledger.get(id)?.status).toBe('included')
    // Not final yet: the event and the item say how many blocks are still to be mined over it (1..3).
    for (const e of notFinal) {
      expect(e.type === 'included' && e.confirmationsToGo).toBeGreaterThanOrEqual(1)
      expect(e.type === 'included' && e.confirmationsToGo).toBeLessThanOrEqual(3)
    }
    // The item counts from the last round's head (the round that saw this head may still be running).
    await eventually(() => notFinal.every((e) => ledger!.get(e.ids[0])?.confirmationsToGo === Number(BigInt(e.block) - (head - 3n))))
    expect(of('anchored').flatMap((e) => e.ids).filter((id) => notFinal.some((n) => n.ids.includes(id)))).toEqual([])

    // A reorg of depth 2 takes the last two blocks, and the batches in them, away before they are final.
    const removedBlocks = new Set([head, head - 1n].map(String))
    const hit = of('included').filter((e) => removedBlocks.has(e.block))
    await rpc('anvil_reorg', [2, []])
    await eventually(() => of('unanchored').length === hit.length)
    expect(new Set(of('unanchored').map((e) => e.txHash))).toEqual(new Set(hit.map((e) => e.txHash)))
    // The same transactions are sent again and mined again; then N blocks make everything final.
    await eventually(() => of('included').length === hit.length + new Set(of('included').map((e) => e.txHash)).size)
    await rpc('anvil_mine', ['0x3'])
    await eventually(() => ids.every((id) => ledger!.get(id)?.status === 'anchored'))
    expect(new Set(of('anchored').flatMap((e) => e.ids))).toEqual(new Set(ids))
    // Re-included by the very same transactions (same nonce and bytes), never by new batches.
    const firstHashes = new Set(of('included').map((e) => e.txHash))
    for (const e of of('anchored')) expect(firstHashes).toContain(e.txHash)
    const onChain = (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)
    expect(ids.map((id) => onChain.filter((x) => x === id).length)).toEqual(ids.map(() => 1))
    expect(ledger.stats()).toMatchObject({ outboxDepth: 0, duplicates: 0 })
    expect(await ledger.verify(ids[25])).toBe('VALID')
  })
})
