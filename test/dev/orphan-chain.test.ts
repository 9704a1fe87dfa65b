import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processesWithArgs } from '../../src/chain/processesWithArgs.js'
import { processAlive } from '../../src/lock/processAlive.js'
import { buildIfStale, eventually, start, type Running } from '../helpers/binary.js'

const FREE_PORTS = ['--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0']

describe('lwchain dev after a kill -9', () => {
  let dir: string
  let dev: Running | undefined
  const orphans: number[] = []

  beforeAll(async () => {
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-orphan-'))
  }, 180_000)

  afterAll(async () => {
    await dev?.stop()
    for (const pid of orphans) if (processAlive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('names the anvil the killed run left on the chain state and refuses to start a second one', async () => {
    const dataDir = join(dir, 'data')
    const statePath = join(dataDir, 'chain', 'anvil-state.json')
    dev = start(['dev', '--json', '--data-dir', dataDir, ...FREE_PORTS])
    await dev.line()
    const [anvil] = processesWithArgs(['--state', statePath])
    expect(anvil).toBeGreaterThan(0)
    orphans.push(anvil)

    // kill -9 gives lwchain no chance to stop its chain: anvil, in its own process group, stays.
    dev.child.kill('SIGKILL')
    await dev.exited
    dev = undefined
    expect(processAlive(anvil)).toBe(true)

    const second = start(['dev', '--json', '--data-dir', dataDir, ...FREE_PORTS])
    expect(await second.exited).toBe(1)
    expect(second.lines).toEqual([])
    expect(second.stderr()).toMatch(new RegExp(`^error: an anvil left running by an earlier lwchain \\(pid ${anvil}\\) still holds .*anvil-state\\.json; stop it with \`kill ${anvil}\`[^\\n]*\\n$`))
    expect(processesWithArgs(['--state', statePath])).toEqual([anvil])

    // Once it is stopped as the message says, dev starts again on the same state.
    process.kill(anvil, 'SIGTERM')
    await eventually(async () => (processAlive(anvil) ? undefined : true), 50)
    dev = start(['dev', '--json', '--data-dir', dataDir, ...FREE_PORTS])
    await dev.line()
    expect(await dev.stop()).toBe(0)
    dev = undefined
  }, 120_000)
})
