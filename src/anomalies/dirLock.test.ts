import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { lockDataDir } from './dirLock.js'

const dir = mkdtempSync(join(tmpdir(), 'lwchain-lock-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('ledger data dir lock', () => {
  it('refuses a second holder while the first lives, and takes over a dead one’s lock', () => {
    const release = lockDataDir(dir)
    // this process holding it again counts as itself; a live other process does not
    writeFileSync(join(dir, 'ledger.lock'), String(process.ppid))
    expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ code: 'LWC_LEDGER_LOCKED' }))
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    writeFileSync(join(dir, 'ledger.lock'), dead)
    const again = lockDataDir(dir)
    again()
    release()
  })
})
