import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addClients } from '../../src/chain/clients/addClients.js'
import { getClientEntry } from '../../src/chain/clients/getClientEntry.js'
import { isClientCurrent } from '../../src/chain/clients/isClientCurrent.js'
import { readClientRecord } from '../../src/chain/clients/readClientRecord.js'
import { buildClientSpec, sealClientRecord } from '../../src/chain/records/clientRecord.js'
import { rpcCall, startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'

describe('addClients', () => {
  let anvil: TestAnvil
  let d: GivenDeployment

  beforeAll(async () => {
    anvil = await startAnvil()
    d = await givenDeployment(anvil.rpcUrl)
  })

  afterAll(async () => {
    await anvil?.stop()
  })

  it('reports exactly which batches landed when one of them reverts, and later sends still go through', async () => {
    await d.addGeneratedClient('taken')
    const endpoints = Array.from({ length: 9 }, (_, i) => `batch-${i}`)
    endpoints[4] = 'taken' // batch 2 of 3 holds a duplicate and must fail whole
    const records = endpoints.map((endpoint) => sealClientRecord(buildClientSpec({ endpoint }).spec, d.sealingPublicKey))
    const seen: number[] = []
    const results = await addClients(d.conn, { clientStore: d.clientStore, records, batchSize: 3, onBatch: (b) => seen.push(b.start) })
    expect(results.map((r) => [r.start, r.count, r.status])).toEqual([
      [0, 3, 'landed'],
      [3, 3, 'failed'],
      [6, 3, 'landed'],
    ])
    expect(results[1].error?.code).toBe('LWC_CLIENT_EXISTS')
    expect(seen.sort()).toEqual([0, 3, 6])
    const onChain = await Promise.all(endpoints.map((endpoint) => getClientEntry(d.conn.publicClient, { clientStore: d.clientStore, endpoint })))
    expect(onChain.map((e, i) => (endpoints[i] === 'taken' ? 'taken' : e ? 'there' : 'absent'))).toEqual([
      'there', 'there', 'there', 'absent', 'taken', 'absent', 'there', 'there', 'there',
    ])
    // No nonce gap was left behind by the failed batch.
    const after = await addClients(d.conn, {
      clientStore: d.clientStore,
      records: [sealClientRecord(buildClientSpec({ endpoint: 'later' }).spec, d.sealingPublicKey)],
    })
    expect(after[0].status).toBe('landed')
  })

  it('sizes later batches from the first estimate, and estimates again when the first batch reverts', async () => {
    // Batch 0 reverts at its estimate; batch 1 is estimated instead; batch 2 (longer records,
    // more bytes than batch 1) gets its gas scaled from it and lands.
    await d.addGeneratedClient('taken-first')
    const endpoints = ['taken-first', 'gas-a', 'gas-b', 'gas-c', `gas-${'x'.repeat(200)}`, `gas-${'y'.repeat(200)}`]
    const records = endpoints.map((endpoint) => sealClientRecord(buildClientSpec({ endpoint }).spec, d.sealingPublicKey))
    const results = await addClients(d.conn, { clientStore: d.clientStore, records, batchSize: 2, concurrency: 1 })
    expect(results.map((r) => r.status)).toEqual(['failed', 'landed', 'landed'])
    expect(results[0].error?.code).toBe('LWC_CLIENT_EXISTS')
  })

  it('keeps at most maxInFlight batches sent and unmined (a node keeps few of one sender\'s transactions ready)', async () => {
    const rpc = (method: string, params: unknown[] = []) => rpcCall(anvil.rpcUrl, method, params)
    const records = Array.from({ length: 8 }, (_, i) => sealClientRecord(buildClientSpec({ endpoint: `window-${i}` }).spec, d.sealingPublicKey))
    await rpc('evm_setAutomine', [false])
    await rpc('evm_setIntervalMining', [1])
    let most = 0
    let sampling = true
    const sample = (async () => {
      while (sampling) {
        const s = (await rpc('txpool_status')) as { pending: string }
        most = Math.max(most, Number(s.pending))
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    try {
      const results = await addClients(d.conn, { clientStore: d.clientStore, records, batchSize: 1, maxInFlight: 2 })
      expect(results.map((r) => r.status)).toEqual(Array(8).fill('landed'))
    } finally {
      sampling = false
      await sample
      await rpc('evm_setIntervalMining', [0])
      await rpc('evm_setAutomine', [true])
    }
    // Without the window all 8 were pending at once.
    expect(most).toBeGreaterThan(0)
    expect(most).toBeLessThanOrEqual(2)
  })

  it('reads back the current record from events, and the chain confirms it against its commitment', async () => {
    const read = await readClientRecord(d.conn.publicClient, { clientStore: d.clientStore, endpoint: 'batch-0', deployBlock: d.deployBlock })
    expect(read?.record.endpoint).toBe('batch-0')
    expect(await isClientCurrent(d.conn.publicClient, { clientStore: d.clientStore, record: read!.record })).toBe(true)
    const forged = { ...read!.record, serverUri: 'coaps://evil.example:5684' }
    expect(await isClientCurrent(d.conn.publicClient, { clientStore: d.clientStore, record: forged })).toBe(false)
    expect(await readClientRecord(d.conn.publicClient, { clientStore: d.clientStore, endpoint: 'batch-4', deployBlock: d.deployBlock })).toBeUndefined()
  })
})
