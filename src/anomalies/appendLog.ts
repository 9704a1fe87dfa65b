import { closeSync, existsSync, fsyncSync, mkdirSync, openSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * An append-only JSON-lines file whose append() resolves only once the line is on disk.
 * Group commit: lines appended while a write + fdatasync is in progress go out together in the
 * next one, so thousands of concurrent appends share a handful of fsyncs.
 */
export class AppendLog {
  private queue: { line: string; resolve: () => void; reject: (err: unknown) => void }[] = []
  private flushing: Promise<void> | undefined
  private constructor(
    readonly path: string,
    private fh: FileHandle,
    /** Bytes known to be whole lines on disk: a failed write is cut back to this. */
    private size: number,
  ) {}

  /**
   * Opens (creating) the file and returns it with the values of its complete lines, read as a
   * stream (a log of any size: one string caps out near 512 MiB). A last line without its newline
   * was cut by a crash before its fsync, so it was never acknowledged: it is truncated away,
   * otherwise the next append would be glued to it. A new file's directory entry is fsync'd.
   */
  static async open<T>(path: string): Promise<{ log: AppendLog; values: T[] }> {
    const dir = dirname(path)
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true })
      fsyncDir(dirname(dir))
    }
    const values: T[] = []
    const created = !existsSync(path)
    const fh = await open(path, created ? 'w+' : 'r+', 0o600)
    let whole = 0
    try {
      if (created) fsyncDir(dir)
      else whole = await readLines(fh, (line) => {
        try {
          values.push(JSON.parse(line) as T)
        } catch {
          // A line damaged on disk: skip it rather than refuse to start.
        }
      })
      const { size } = await fh.stat()
      if (size > whole) {
        await fh.truncate(whole)
        await fh.datasync()
      }
    } catch (err) {
      await fh.close()
      throw err
    }
    return { log: new AppendLog(path, fh, whole), values }
  }

  /** Appends one value as a JSON line; resolves after it has been fsync'd. */
  append(value: unknown): Promise<void> {
    const line = `${JSON.stringify(value)}\n`
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject })
      this.flushing ??= this.flushLoop()
    })
  }

  /** Lines waiting for the next write. */
  get queued(): number {
    return this.queue.length
  }

  /** Waits for queued appends, then closes the file. */
  async close(): Promise<void> {
    await this.flushing
    await this.fh.close()
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0)
        const buf = Buffer.from(group.map((x) => x.line).join(''), 'utf8')
        try {
          // A write may take fewer bytes than asked (a full disk, a signal): write the rest, at
          // explicit offsets, so nothing unacknowledged is ever glued to what follows.
          for (let done = 0; done < buf.length; ) {
            const { bytesWritten } = await this.fh.write(buf, done, buf.length - done, this.size + done)
            if (bytesWritten <= 0) throw new Error(`short write to ${this.path}: ${done} of ${buf.length} bytes`)
            done += bytesWritten
          }
          await this.fh.datasync()
          this.size += buf.length
          for (const x of group) x.resolve()
        } catch (err) {
          // Cut a torn group away: the file ends on a whole line again (best effort).
          await this.fh.truncate(this.size).catch(() => undefined)
          for (const x of group) x.reject(err)
        }
      }
    } finally {
      this.flushing = undefined
    }
  }
}

/** Streams the file's lines to `onLine`; returns the byte length of its whole lines. */
async function readLines(fh: FileHandle, onLine: (line: string) => void): Promise<number> {
  const chunk = Buffer.allocUnsafe(4 * 1024 * 1024)
  let carry: Buffer = Buffer.alloc(0)
  let position = 0
  let whole = 0
  for (;;) {
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, position)
    if (bytesRead === 0) break
    position += bytesRead
    let data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
    let start = 0
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      if (nl > start) onLine(data.toString('utf8', start, nl))
      whole += nl + 1 - start
      start = nl + 1
    }
    // Copy the tail: `chunk` is reused by the next read.
    carry = Buffer.from(data.subarray(start))
    data = Buffer.alloc(0)
  }
  return whole
}

/** fsync of a directory, so a file created (or renamed) in it survives a power cut. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Some file systems refuse fsync on directories; nothing more can be done there.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
