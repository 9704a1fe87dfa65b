import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEther } from 'viem'
import { addClients } from '../../src/chain/clients/addClients.js'
import { getClientEntry } from '../../src/chain/clients/getClientEntry.js'
import { ImportIncompleteError, provisionClients, type ProvisionRow } from '../../src/chain/clients/provisionClients.js'
import { connectChain, type ChainConnection } from '../../src/chain/connectChain.js'
import { buildClientSpec, sealClientRecord } from '../../src/chain/records/clientRecord.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'

let anvil: TestAnvil
let proxy: RpcProxy
let d: GivenDeployment
let conn: ChainConnection
beforeAll(async () => {
  anvil = await startAnvil()
  d = await givenDeployment(anvil.rpcUrl)
  proxy = await startRpcProxy({ upstream: anvil.rpcUrl })
  conn = await connectChain({ rpcUrl: proxy.url, timeoutMs: 5_000 })
})
afterAll(async () => {
  await proxy?.close()
  await anvil?.stop()
})

const rowsOf = (prefix: string, n: number): ProvisionRow[] =>
  Array.from({ length: n }, (_, i) => ({ row: i + 1, input: { endpoint: `${prefix}-${i}`, bsIdentity: `${prefix}-bs-${i}`, serverIdentity: `${prefix}-srv-${i}` } }))
const provision = (rows: ProvisionRow[]) =>
  provisionClients(conn, { clientStore: d.clientStore, userStore: d.userStore, deployBlock: d.deployBlock, sealingPublicKey: d.sealingPublicKey, rows, batchSize: 5 })

describe('provisioning through a hosted-provider proxy', () => {
  it('reports every row correctly through 429s (some after the node accepted) and a dropped transaction; a re-run sends nothing', async () => {
    proxy.setRateLimit((c) =>
      c.method === 'eth_sendRawTransaction' && c.nOfMethod % 3 === 0 ? { retryAfter: 0, afterForward: true } : c.n % 7 === 0 ? { retryAfter: 0 } : undefined,
    )
    proxy.dropTransaction(({ call }) => call.nOfMethod >= 4)
    const rows = rowsOf('imp', 60)
    const report = await provision(rows)
    expect(proxy.stats.dropped).toHaveLength(1)
    expect(proxy.stats.rateLimited).toBeGreaterThan(5)
    expect(report).toMatchObject({ total: 60, landed: 60, failed: 0, already: 0 })
    for (const r of report.rows) {
      expect(r.status).toBe('landed')
      const receipt = await d.conn.publicClient.getTransactionReceipt({ hash: r.txHash! })
      expect(receipt.status).toBe('success')
      const entry = await getClientEntry(d.conn.publicClient, { clientStore: d.clientStore, endpoint: r.endpoint })
      expect(entry).toBeDefined()
    }
    proxy.setRateLimit(undefined)
    const sendsBefore = proxy.stats.byMethod.eth_sendRawTransaction ?? 0
    const again = await provision(rows)
    expect(proxy.stats.byMethod.eth_sendRawTransaction ?? 0).toBe(sendsBefore)
    expect(again).toMatchObject({ total: 60, landed: 60, failed: 0, already: 60 })
    expect(again.rows.every((r) => r.already && r.status === 'landed')).toBe(true)
  })

  it('does not take another transaction at the same nonce for its own: the batch is reported failed', async () => {
    const nonce = await d.conn.publicClient.getTransactionCount({ address: d.conn.account!.address, blockTag: 'pending' })
    // The pool drops our batch; another transaction of the same key then takes its nonce.
    let racing = true
    proxy.dropTransaction(() => racing, Infinity)
    const records = ['lost-0', 'lost-1'].map((endpoint) => sealClientRecord(buildClientSpec({ endpoint }).spec, d.sealingPublicKey))
    const dropped = proxy.stats.dropped.length
    const running = addClients(conn, { clientStore: d.clientStore, records, batchSize: 2, settleTimeoutMs: 30_000 })
    await until(() => proxy.stats.dropped.length > dropped)
    const raced = await d.conn.walletClient!.sendTransaction({ to: d.conn.account!.address, value: parseEther('0.001'), nonce })
    await d.conn.publicClient.waitForTransactionReceipt({ hash: raced })
    racing = false
    const [result] = await running
    expect(await d.conn.publicClient.getTransactionReceipt({ hash: raced })).toMatchObject({ status: 'success' })
    expect(result.status).toBe('failed')
    expect(result.error?.shortMessage).toMatch(/another transaction/)
    expect(await getClientEntry(d.conn.publicClient, { clientStore: d.clientStore, endpoint: 'lost-0' })).toBeUndefined()
  })
})

describe('provisioning with an unfunded signer', () => {
  it('fails every row with one clear reason and stops sending', async () => {
    await d.conn.publicClient.request({ method: 'anvil_setBalance' as never, params: [d.conn.account!.address, '0x0'] as never })
    const sendsBefore = proxy.stats.byMethod.eth_sendRawTransaction ?? 0
    const report = await provision(rowsOf('poor', 12))
    expect(report).toMatchObject({ total: 12, landed: 0, failed: 12 })
    expect(new Set(report.rows.map((r) => r.error))).toEqual(new Set([expect.stringMatching(/insufficient funds/)]))
    expect(new ImportIncompleteError(report).shortMessage).toMatch(/^12 of 12 rows did not land \(0 did\): the signer 0x[0-9a-fA-F]{40} has insufficient funds for gas/)
    // At most the batches already being estimated when the first refusal came (concurrency 4).
    expect((proxy.stats.byMethod.eth_sendRawTransaction ?? 0) - sendsBefore).toBeLessThanOrEqual(4)
  })
})

async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
