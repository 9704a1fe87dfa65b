/**
 * writeAndWait, against anvil, when another process signs with the same key at the same moment
 * (as the server's ledger and `client add` did on anvil's account 0): both writes land, each at
 * its own nonce, none reported as failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addClient } from '../../src/chain/clients/addClient.js'
import { connectChain } from '../../src/chain/connectChain.js'
import { buildClientSpec, sealClientRecord } from '../../src/chain/records/clientRecord.js'
import { rpcCall, startAnvil, type TestAnvil } from '../helpers/anvil.js'
import { givenDeployment, type GivenDeployment } from './givenDeployment.js'

describe('writeAndWait with a key shared by two processes', () => {
  let anvil: TestAnvil
  let d: GivenDeployment
  const rpc = (method: string, params: unknown[] = []): Promise<unknown> => rpcCall(anvil.rpcUrl, method, params)
  beforeAll(async () => {
    anvil = await startAnvil()
    d = await givenDeployment(anvil.rpcUrl)
  })
  afterAll(async () => {
    await anvil?.stop()
  })

  it('lands both writes when they were signed at the same nonce by two connections', async () => {
    // Two connections with the same key: two nonce counters, as two processes have.
    const [a, b] = await Promise.all([connectChain({ rpcUrl: anvil.rpcUrl }), connectChain({ rpcUrl: anvil.rpcUrl })])
    const record = (endpoint: string) => sealClientRecord(buildClientSpec({ endpoint }).spec, d.sealingPublicKey)
    await rpc('evm_setAutomine', [false])
    try {
      const nonce = Number(await rpc('eth_getTransactionCount', [a.account!.address, 'pending']))
      const first = addClient(a, { clientStore: d.clientStore, record: record('shared-key-a') })
      const second = addClient(b, { clientStore: d.clientStore, record: record('shared-key-b') })
      const settled = Promise.allSettled([first, second])
      // Mine only once both are pooled: the loser of nonce N must have moved to N + 1.
      for (;;) {
        const pending = Number(await rpc('eth_getTransactionCount', [a.account!.address, 'pending']))
        if (pending >= nonce + 2) break
        await new Promise((r) => setTimeout(r, 50))
      }
      await rpc('anvil_mine', ['0x1'])
      const [ra, rb] = await settled
      expect(ra.status, ra.status === 'rejected' ? String(ra.reason) : '').toBe('fulfilled')
      expect(rb.status, rb.status === 'rejected' ? String(rb.reason) : '').toBe('fulfilled')
    } finally {
      await rpc('evm_setAutomine', [true])
    }
  })
})
