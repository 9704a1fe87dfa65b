import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
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

describe('AppendLog on large logs and failing writes', () => {
  it('streams a log of many chunks with lines across chunk borders, and truncates a torn tail', async () => {
    const path = join(dir, 'c.jsonl')
    // About 9 MB: three 4 MiB reads, lines of varied length cross their borders.
    const lines = Array.from({ length: 60_000 }, (_, i) => JSON.stringify({ i, pad: 'é'.repeat(i % 97) }) + '\n')
    writeFileSync(path, lines.join('') + '{"torn":')
    const { log, values } = await AppendLog.open<{ i: number }>(path)
    expect(values).toHaveLength(60_000)
    expect(values.every((v, k) => v.i === k)).toBe(true)
    await log.append({ i: 60_000 })
    await log.close()
    expect(readFileSync(path, 'utf8').endsWith('{"i":59999,"pad":"' + 'é'.repeat(59_999 % 97) + '"}\n{"i":60000}\n')).toBe(true)
  })

  it('writes the rest after a short write, and cuts a failed group away so the next line stands alone', async () => {
    const path = join(dir, 'd.jsonl')
    const { log } = await AppendLog.open(path)
    const fh = (log as unknown as { fh: { write: (...a: unknown[]) => Promise<{ bytesWritten: number }> } }).fh
    const real = fh.write.bind(fh)
    let mode: 'short' | 'fail' | 'ok' = 'short'
    fh.write = async (buf: unknown, off: unknown, len: unknown, pos: unknown) => {
      if (mode === 'short') {
        mode = 'ok'
        return real(buf, off, Math.min(3, len as number), pos) // the kernel took 3 bytes only
      }
      if (mode === 'fail') {
        mode = 'ok'
        await real(buf, off, 5, pos) // 5 bytes land, then the disk is full
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
      }
      return real(buf, off, len, pos)
    }
    await log.append({ a: 1 })
    mode = 'fail'
    await expect(log.append({ b: 2 })).rejects.toThrow(/ENOSPC/)
    await log.append({ c: 3 })
    await log.close()
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"c":3}\n')
  })

  // 1 GiB on disk: too slow for the suite. LWCHAIN_BIG_OUTBOX=1 runs it.
  it.runIf(process.env.LWCHAIN_BIG_OUTBOX === '1')('opens a 1 GiB log (past the 512 MiB string limit)', async () => {
    const path = join(dir, 'big.jsonl')
    const line = JSON.stringify({ id: '01J0000000000000000000000', endpoint: 'dev', level: 1, data: { pad: 'x'.repeat(900) }, collectedAt: 1 }) + '\n'
    const block = line.repeat(Math.floor((8 * 1024 * 1024) / line.length))
    const fd = openSync(path, 'w')
    let size = 0
    while (size < 1024 ** 3) size += writeSync(fd, block)
    closeSync(fd)
    const started = Date.now()
    const { log, values } = await AppendLog.open(path)
    console.log(`opened ${(size / 1024 ** 3).toFixed(2)} GiB, ${values.length} lines, in ${Date.now() - started} ms`)
    expect(values.length).toBe(size / line.length)
    await log.close()
    rmSync(path)
  }, 600_000)
})
