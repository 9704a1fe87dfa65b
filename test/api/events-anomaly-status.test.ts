import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { givenApiSystem, openEvents, type ApiSystem, type SseReader } from './devices-helpers.js'

// The ledger's status events on /api/events: included (with the confirmations to go), the final
// block moving (anomaly-confirmations), anchored (final) and quarantined (can never fit a
// transaction), as the console follows them.
describe('GET /api/events: anomaly status events', () => {
  let sys: ApiSystem
  let events: SseReader
  const rpc = (method: string, params: unknown[] = []) =>
    fetch(sys.anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const post = async (data: unknown): Promise<string> => {
    const res = await sys.call('POST', '/api/anomalies', { role: 'application', body: { endpoint: 'status-dev', level: 3, data } })
    expect(res.status).toBe(202)
    return ((await res.json()) as { id: string }).id
  }
  const item = async (id: string) => {
    const res = await sys.call('GET', '/api/anomalies?endpoint=status-dev', { role: 'user' })
    return ((await res.json()) as { items: Array<Record<string, unknown>> }).items.find((i) => i.id === id)
  }

  beforeAll(async () => {
    // Final 2 blocks under the head; transactions of at most 4 KiB, so 6,000 bytes of data never fit.
    sys = await givenApiSystem({ ledger: { batchIntervalMs: 100, pollIntervalMs: 100, finality: { confirmations: 2 }, maxTxBytes: 4_096 } })
    events = await openEvents(sys.base, `?token=${sys.tokens.user}`)
    expect(events.status).toBe(200)
  }, 120_000)
  afterAll(async () => {
    events?.close()
    await sys?.stop()
  })

  it('sends anomaly-included with the confirmations to go, anomaly-confirmations per block, then anomaly-anchored once final', async () => {
    const id = await post({ t: 1 })
    const included = await events.next((e) => e.event === 'anomaly-included' && (e.data.ids as string[]).includes(id))
    // Automine: mined at once in a block of its own, at the head, so 2 blocks are still to come.
    expect(included.data).toMatchObject({ type: 'anomaly-included', ids: [id], confirmationsToGo: 2, batchId: expect.any(String), txHash: expect.stringMatching(/^0x/), block: expect.any(String) })
    expect(events.received.some((e) => e.event === 'anomaly-anchored' && (e.data.ids as string[]).includes(id))).toBe(false)
    expect(await item(id)).toMatchObject({ status: 'included', block: included.data.block })

    // One block more: the final block moves (one confirmation to go), and the record is not final yet.
    await rpc('anvil_mine', ['0x1'])
    const moved = await events.next((e) => e.event === 'anomaly-confirmations' && e.data.finalBlock === String(BigInt(included.data.block as string) - 1n))
    expect(moved.data).toEqual({ type: 'anomaly-confirmations', finalBlock: String(BigInt(included.data.block as string) - 1n) })
    expect(await item(id)).toMatchObject({ status: 'included', confirmationsToGo: 1 })
    await rpc('anvil_mine', ['0x1'])
    const anchored = await events.next((e) => e.event === 'anomaly-anchored' && (e.data.ids as string[]).includes(id))
    expect(anchored.data).toMatchObject({ ids: [id], batchId: included.data.batchId, txHash: included.data.txHash })
    expect(await item(id)).toMatchObject({ status: 'anchored' })
    expect((await item(id))!.confirmationsToGo).toBeUndefined()
  })

  it('sends anomaly-quarantined with the reason for a record that can never fit, and lists it quarantined', async () => {
    const id = await post('q'.repeat(6_000))
    const q = await events.next((e) => e.event === 'anomaly-quarantined' && (e.data.ids as string[]).includes(id))
    expect(q.data).toEqual({ type: 'anomaly-quarantined', ids: [id], reason: expect.stringMatching(/over the 4096-byte limit/) })
    expect(await item(id)).toMatchObject({ status: 'quarantined', error: q.data.reason })
  })

  it('names every anomaly event in the OpenAPI summary of /api/events', async () => {
    const doc = (await (await sys.call('GET', '/api/openapi.json')).json()) as { paths: Record<string, { get: { summary: string } }> }
    for (const t of ['anomaly-included', 'anomaly-anchored', 'anomaly-unanchored', 'anomaly-quarantined', 'anomaly-confirmations']) expect(doc.paths['/api/events'].get.summary).toContain(t)
  })
})
