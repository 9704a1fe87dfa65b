import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { acquireDirLock, lockHolder } from './dirLock.js'

const base = mkdtempSync(join(tmpdir(), 'lwchain-dirlock-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))

const TAKER = join(import.meta.dirname, '../../test/helpers/lockTaker.ts')

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString())
}

/** A lock directory whose current holder (generation 1) is the given pid. */
function heldBy(dir: string, pid: number): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, '000000000001'), JSON.stringify({ pid, since: 0 }))
  return dir
}

interface Taker {
  ask(dir: string): Promise<'won' | 'lost'>
  end(): Promise<void>
}

async function startTaker(): Promise<Taker> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', TAKER], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const waiting = new Map<string, (v: 'won' | 'lost') => void>()
  let ready!: () => void
  const isReady = new Promise<void>((resolve) => (ready = resolve))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') return ready()
    const m = /^(.*) (won|lost)$/.exec(line)
    if (m) waiting.get(m[1])?.(m[2] as 'won' | 'lost')
  })
  await Promise.race([isReady, exited.then(() => Promise.reject(new Error('lock taker exited before it was ready')))])
  return {
    ask: (dir) =>
      new Promise((resolve) => {
        waiting.set(dir, resolve)
        child.stdin!.write(`${dir}\n`)
      }),
    end: async () => {
      child.stdin!.end()
      await exited
    },
  }
}

describe('directory lock', () => {
  it('refuses a second holder while the first lives, and is free again once released', () => {
    const dir = join(base, 'basic')
    const first = acquireDirLock(dir)
    expect(() => acquireDirLock(dir)).toThrow(expect.objectContaining({ code: 'LWC_DIR_LOCKED' }))
    heldBy(join(base, 'other-live'), process.ppid)
    expect(() => acquireDirLock(join(base, 'other-live'))).toThrow(expect.objectContaining({ code: 'LWC_DIR_LOCKED', holder: expect.objectContaining({ pid: process.ppid }) }))
    expect(lockHolder(dir)?.pid).toBe(process.pid)
    first.release()
    expect(lockHolder(dir)).toBeUndefined()
    const second = acquireDirLock(dir)
    second.release()
  })

  it('takes over the lock of a dead holder and sweeps the older generations', () => {
    const dir = heldBy(join(base, 'dead'), deadPid())
    const lock = acquireDirLock(dir, { info: { port: 1 } })
    expect(lockHolder(dir)).toMatchObject({ pid: process.pid, info: { port: 1 } })
    lock.update({ port: 2 })
    expect(lockHolder(dir)).toMatchObject({ info: { port: 2 } })
    expect(readdirSync(dir)).toEqual(['000000000002'])
    lock.release()
  })

  it('lets exactly one of two processes racing for a dead holder’s lock win, every time', async () => {
    const rounds = 150
    const [a, b] = await Promise.all([startTaker(), startTaker()])
    try {
      const dead = deadPid()
      let split = 0
      for (let i = 0; i < rounds; i++) {
        // Both see the same dead holder: the interleaving in which the old pid files both won.
        const dir = heldBy(join(base, `race-${i}`), dead)
        const answers = await Promise.all([a.ask(dir), b.ask(dir)])
        expect(answers.filter((x) => x === 'won'), `round ${i}: ${answers.join(', ')}`).toHaveLength(1)
        if (answers[0] === 'won') split++
      }
      // Both takers won some rounds: they did race, rather than one always coming first.
      expect(split).toBeGreaterThan(0)
      expect(split).toBeLessThan(rounds)
    } finally {
      await Promise.all([a.end(), b.end()])
    }
  }, 120_000)
})
