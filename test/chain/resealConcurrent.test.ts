/**
 * A record changed while `keys rotate` re-seals: its batch is refused on chain (VersionMismatch),
 * the next pass reads it again, and the change survives, re-sealed to the new key.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runClientAdd } from '../../src/commands/client/add.js'
import { runClientMove } from '../../src/commands/client/move.js'
import { runClientShow } from '../../src/commands/client/show.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runKeysRotate } from '../../src/commands/keys/rotate.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'

describe('re-sealing beside a concurrent change', () => {
  let anvil: TestAnvil
  let dir: string
  let o: { configDir: string; rpc: string }

  beforeAll(async () => {
    delete process.env.LWCHAIN_PRIVATE_KEY
    anvil = await startAnvil()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-reseal-'))
    o = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
    await runDeploy(o)
  })

  afterAll(async () => {
    await anvil?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('never overwrites a record changed after it was read: refused, read again, re-sealed with the change', async () => {
    const added = []
    for (const e of ['cc-1', 'cc-2', 'cc-3']) added.push((await runClientAdd(o, { endpoint: e })).result)
    let moved = false
    const r = await runKeysRotate(o, {
      batchSize: 2,
      // After the plan is made and before its first batch is sent, an admin moves cc-1.
      onProgress: async (done) => {
        if (done === 0 && !moved) {
          moved = true
          await runClientMove(o, { endpoint: 'cc-1', serverUri: 'coaps://192.0.2.9:5684' })
        }
      },
    })
    expect(r.reseal).toMatchObject({ complete: true, retried: 2, clients: 3 })
    const shown = await runClientShow(o, 'cc-1', true)
    expect(shown.server.uri).toBe('coaps://192.0.2.9:5684')
    expect(shown.server.key).toBe(added[0].server.key)
    expect(shown.version).toBe(3)
    for (const [i, e] of ['cc-2', 'cc-3'].entries()) expect((await runClientShow(o, e, true)).server.key).toBe(added[i + 1].server.key)
  })
})
