import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { ChainStateInUseError, startEmbeddedChain } from '../../src/chain/anvil.js'
import { processAlive } from '../../src/lock/processAlive.js'

const base = mkdtempSync(join(tmpdir(), 'lwchain-chainlock-'))
const orphans: number[] = []
afterAll(() => {
  for (const pid of orphans) if (processAlive(pid)) process.kill(pid, 'SIGKILL')
  rmSync(base, { recursive: true, force: true })
})

/** Resolves once `pid` has exited (polls: it is not our child). */
async function exitOf(pid: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (processAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('embedded chain state directory', () => {
  it('cannot run a second anvil on the same state file', async () => {
    const dir = join(base, 'twice')
    const first = await startEmbeddedChain({ port: 0, dataDir: dir })
    try {
      const second = startEmbeddedChain({ port: 0, dataDir: dir })
      await expect(second).rejects.toBeInstanceOf(ChainStateInUseError)
      await expect(second).rejects.toMatchObject({ code: 'LWC_CHAIN_STATE_IN_USE', pid: process.pid })
      await expect(second).rejects.toThrow(new RegExp(`in use by lwchain process ${process.pid} \\(anvil at ${first.rpcUrl}\\)`))
    } finally {
      await first.stop()
    }
    // Free again once the first one stopped.
    const again = await startEmbeddedChain({ port: 0, dataDir: dir })
    await again.stop()
  })

  it('finds the anvil a killed lwchain left on the state file and refuses, naming it', async () => {
    const dir = join(base, 'orphan')
    const holder = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../helpers/chainHolder.ts')], {
      env: { ...process.env, CHAIN_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const holderExited = new Promise<void>((resolve) => holder.once('exit', () => resolve()))
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: holder.stdout! }).once('line', resolve)
      holder.once('exit', (code) => reject(new Error(`chain holder exited with ${code} before it was ready`)))
    })
    const { anvilPid } = JSON.parse(line) as { anvilPid: number }
    orphans.push(anvilPid)
    holder.kill('SIGKILL')
    await holderExited
    expect(processAlive(anvilPid)).toBe(true)

    const start = startEmbeddedChain({ port: 0, dataDir: dir })
    await expect(start).rejects.toMatchObject({ code: 'LWC_CHAIN_STATE_IN_USE', pid: anvilPid })
    await expect(start).rejects.toThrow(`kill ${anvilPid}`)

    // Once the orphan is stopped (it saves its state on SIGTERM), the state directory is usable.
    process.kill(anvilPid, 'SIGTERM')
    await exitOf(anvilPid)
    const chain = await startEmbeddedChain({ port: 0, dataDir: dir })
    await chain.stop()
  })
})
