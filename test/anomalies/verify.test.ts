import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyLedger } from '../../src/anomalies/ledger.js'
import { runAnomalyList } from '../../src/commands/anomaly/list.js'
import { runAnomalyPost } from '../../src/commands/anomaly/post.js'
import { runAnomalyVerify } from '../../src/commands/anomaly/verify.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import type { ChainCommandOptions } from '../../src/commands/lib/context.js'
import { connectChain } from '../../src/chain/connectChain.js'
import { loadProfile, requireDeployment } from '../../src/chain/profile.js'
import { silentLogger } from '../../src/logger.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'

let anvil: TestAnvil
let dir: string
let o: ChainCommandOptions
beforeAll(async () => {
  delete process.env.LWCHAIN_PRIVATE_KEY
  anvil = await startAnvil()
  dir = mkdtempSync(join(tmpdir(), 'lwchain-anomaly-verify-'))
  o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
  await runDeploy(o)
})
afterAll(async () => {
  await anvil?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('anomaly verify', () => {
  it('says VALID for the record as anchored and INVALID once its level, data or time is changed', async () => {
    const posted = await runAnomalyPost(o, { endpoint: 'sensor-1', level: 2, data: '{"temp": 46.5, "unit": "Cel"}', timestamp: '2026-03-01T10:00:00Z' })
    const [item] = (await runAnomalyList(o, { endpoint: 'sensor-1' })).items
    const file = join(dir, 'record.json')
    const check = async (record: object) => {
      writeFileSync(file, JSON.stringify(record))
      return runAnomalyVerify(o, posted.id, { record: file })
    }
    expect(await check(item)).toMatchObject({ valid: true, verdict: 'VALID', batchId: posted.batchId })
    expect(await runAnomalyVerify(o, posted.id, { record: '-', stdin: JSON.stringify(item) })).toMatchObject({ verdict: 'VALID' })
    expect(await check({ ...item, level: 3 })).toMatchObject({ valid: false, verdict: 'INVALID' })
    expect(await check({ ...item, data: { temp: 41.5, unit: 'Cel' } })).toMatchObject({ verdict: 'INVALID' })
    const { collectedAt: _omit, ...withoutSeconds } = item
    expect(await check({ ...withoutSeconds, timestamp: '2026-03-01T10:00:01Z' })).toMatchObject({ verdict: 'INVALID' })
    expect(await check({ ...item, timestamp: '2026-03-01T09:00:00Z' })).toMatchObject({ verdict: 'INVALID' })
    expect(await check({ ...item, endpoint: 'sensor-2' })).toMatchObject({ verdict: 'INVALID' })
    expect(await check({ ...item, level: 999 })).toMatchObject({ verdict: 'INVALID' })
    // the same data with keys in another order is the same record (canonical JSON)
    expect(await check({ ...item, data: { unit: 'Cel', temp: 46.5 } })).toMatchObject({ verdict: 'VALID' })
  })

  it('refuses an unknown id and an unreadable record file with one clear error', async () => {
    await expect(runAnomalyVerify(o, '01UNKNOWNID')).rejects.toMatchObject({ code: 'LWC_ANOMALY_NOT_FOUND' })
    const posted = await runAnomalyPost(o, { endpoint: 'sensor-3', level: 1, data: '1' })
    await expect(runAnomalyVerify(o, posted.id, { record: join(dir, 'missing.json') })).rejects.toMatchObject({ code: 'LWC_INVALID_INPUT' })
  })

  it('finds a record altered in the ledger’s local store INVALID, and the CLI still VALID from the chain', async () => {
    const deployment = requireDeployment(loadProfile(o.configDir))
    const conn = await connectChain({ rpcUrl: anvil.rpcUrl })
    const dataDir = join(dir, 'ledger')
    const make = () =>
      createAnomalyLedger({ conn, address: deployment.contracts.anomalyStore, deployBlock: deployment.deployBlock, dataDir, logger: silentLogger(), batchIntervalMs: 20 })
    let ledger = make()
    await ledger.start()
    const ids = await Promise.all([1, 2, 3, 4].map((i) => ledger.accept({ endpoint: 'sensor-9', level: 1, data: { i }, timestamp: '2026-04-01T00:00:00Z' }).then((r) => r.id)))
    const pendingVerdict = await ledger.verify(ids[0])
    expect(['PENDING', 'VALID']).toContain(pendingVerdict)
    await ledger.flush()
    for (const id of ids) expect(await ledger.verify(id)).toBe('VALID')
    await ledger.stop()
    // Someone edits the local store: level of one, data of another, time of a third.
    const path = join(dataDir, 'anomalies.jsonl')
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const edit = (id: string, change: object) => Object.assign(lines.find((r) => r.id === id), change)
    edit(ids[0], { level: 5 })
    edit(ids[1], { data: { i: 99 } })
    edit(ids[2], { collectedAt: lines[0].collectedAt + 60 })
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
    ledger = make()
    await ledger.start()
    try {
      expect(await ledger.verify(ids[0])).toBe('INVALID')
      expect(await ledger.verify(ids[1])).toBe('INVALID')
      expect(await ledger.verify(ids[2])).toBe('INVALID')
      expect(await ledger.verify(ids[3])).toBe('VALID')
      expect(ledger.stats().duplicates).toBe(0)
      expect(ledger.stats().outboxDepth).toBe(0)
      await expect(ledger.verify('01NOPE')).rejects.toMatchObject({ code: 'LWC_ANOMALY_NOT_FOUND' })
    } finally {
      await ledger.stop()
    }
    expect((await runAnomalyVerify(o, ids[0])).verdict).toBe('VALID')
  })
})
