import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AppendLog } from './appendLog.js'

const dir = mkdtempSync(join(tmpdir(), 'lwchain-appendlog-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('AppendLog', () => {
  it('resolves concurrent appends once written, every line whole and in order', async () => {
    const path = join(dir, 'a.jsonl')
    const { log } = await AppendLog.open(path)
    await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append({ i })))
    await log.close()
    const { log: again, values } = await AppendLog.open<{ i: number }>(path)
    expect(values.map((v) => v.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    await again.close()
  })

  it('drops a last line cut by a crash, so the next append starts on a line of its own', async () => {
    const path = join(dir, 'b.jsonl')
    appendFileSync(path, '{"i":1}\n{"i":2}\n{"i":')
    const { log, values } = await AppendLog.open<{ i: number }>(path)
    expect(values).toEqual([{ i: 1 }, { i: 2 }])
    await log.append({ i: 3 })
    await log.close()
    expect(readFileSync(path, 'utf8')).toBe('{"i":1}\n{"i":2}\n{"i":3}\n')
  })
})
