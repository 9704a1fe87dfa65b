import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anchoredOnChain, givenLedgerChain, type LedgerChain } from './helpers.js'

let c: LedgerChain
beforeAll(async () => {
  c = await givenLedgerChain()
})
afterAll(async () => {
  await c?.close()
})

const CHILD = join(import.meta.dirname, 'ledger-child.ts')

/** Runs the ledger child; resolves with its stdout lines once `until` says so (then SIGKILLs it) or it exits. */
function runChild(mode: 'accept' | 'drain', until?: (lines: string[]) => boolean): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      CHILD_RPC: c.anvil.rpcUrl,
      CHILD_ADDRESS: c.d.anomalyStore,
      CHILD_DEPLOY_BLOCK: c.d.deployBlock.toString(),
      CHILD_DIR: join(c.dir, 'ledger'),
      CHILD_MODE: mode,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  let buf = ''
  let err = ''
  child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)))
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString()
      const parts = buf.split('\n')
      buf = parts.pop()!
      lines.push(...parts)
      if (until?.(lines) && child.exitCode === null) child.kill('SIGKILL')
    })
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(lines)
      else reject(new Error(`ledger child exited with ${code}: ${err}`))
    })
  })
}

describe('anomaly ledger killed with SIGKILL', () => {
  it('anchors every acknowledged anomaly exactly once after a restart', async () => {
    const acknowledged: string[] = []
    // Two kills at different depths, each while batches are being anchored.
    for (const count of [400, 900]) {
      const lines = await runChild('accept', (l) => l.length >= count)
      acknowledged.push(...lines.filter((l) => l.length > 0))
    }
    const drained = await runChild('drain')
    expect(drained.at(-1)).toMatch(/^drained/)
    const onChain = (await anchoredOnChain(c.d.conn.publicClient, c.d.anomalyStore)).map((r) => r.id)
    const stored = readFileSync(join(c.dir, 'ledger', 'anomalies.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.endsWith('}'))
      .map((l) => (JSON.parse(l) as { id: string }).id)
    // Exactly once: no id twice on chain, and the chain holds every record the outbox kept...
    expect(onChain.length).toBe(new Set(onChain).size)
    expect(new Set(onChain)).toEqual(new Set(stored))
    // ...which includes every id the child acknowledged before it was killed.
    for (const id of acknowledged) expect(onChain).toContain(id)
    expect(acknowledged.length).toBeGreaterThanOrEqual(1300)
  })
})
