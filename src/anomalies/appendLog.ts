import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs'
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
  ) {}

  /**
   * Opens (creating) the file and returns it with the values of its complete lines. A last line
   * without its newline was cut by a crash before its fsync, so it was never acknowledged: it is
   * truncated away, otherwise the next append would be glued to it.
   */
  static async open<T>(path: string): Promise<{ log: AppendLog; values: T[] }> {
    mkdirSync(dirname(path), { recursive: true })
    const values: T[] = []
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8')
      const end = text.lastIndexOf('\n') + 1
      if (end < text.length) truncateTo(path, Buffer.byteLength(text.slice(0, end), 'utf8'))
      for (const line of text.slice(0, end).split('\n')) {
        if (line.length === 0) continue
        try {
          values.push(JSON.parse(line) as T)
        } catch {
          // A line damaged on disk: skip it rather than refuse to start.
        }
      }
    }
    const fh = await open(path, 'a', 0o600)
    return { log: new AppendLog(path, fh), values }
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
        try {
          await this.fh.write(group.map((x) => x.line).join(''))
          await this.fh.datasync()
          for (const x of group) x.resolve()
        } catch (err) {
          for (const x of group) x.reject(err)
        }
      }
    } finally {
      this.flushing = undefined
    }
  }
}

function truncateTo(path: string, size: number): void {
  const fd = openSync(path, 'r+')
  try {
    if (fstatSync(fd).size > size) ftruncateSync(fd, size)
  } finally {
    closeSync(fd)
  }
}

