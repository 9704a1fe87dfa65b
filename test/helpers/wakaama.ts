/**
 * Eclipse Wakaama's example LwM2M client (C, tinydtls) as a peer in interop tests.
 *
 * The binary comes from env LWC_WAKAAMA_BIN, else it is built once from the source snapshot beside
 * ../shared/peers/build-wakaama.sh into node_modules/.cache/lwchain-wakaama (reused when present).
 * When neither is there (a clone without ../shared), `wakaamaSkipReason` says why and the suites
 * skip. The client is driven with stdin held open (at EOF it spins) through `stdbuf -o0` (its
 * stdout is block-buffered when redirected), pointed only at 127.0.0.1.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import dgram from 'node:dgram'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const script = resolve(repo, '../shared/peers/build-wakaama.sh')
const cacheDir = join(repo, 'node_modules/.cache/lwchain-wakaama')
const cachedBin = join(cacheDir, 'build/lwm2mclient_tinydtls')

/** Why the Wakaama suites cannot run here, or undefined when they can. */
export const wakaamaSkipReason: string | undefined = (() => {
  const env = process.env.LWC_WAKAAMA_BIN
  if (env) return existsSync(env) ? undefined : `LWC_WAKAAMA_BIN=${env} does not exist`
  if (existsSync(cachedBin) || existsSync(script)) return undefined
  return `Wakaama interop skipped: neither LWC_WAKAAMA_BIN nor ${script} exists`
})()
if (wakaamaSkipReason) console.warn(wakaamaSkipReason)

let building: Promise<string> | undefined

/** The client binary's path, building it once (about a minute on two cores) when not cached. */
export function wakaamaBinary(): Promise<string> {
  const env = process.env.LWC_WAKAAMA_BIN
  if (env) return Promise.resolve(env)
  if (existsSync(cachedBin)) return Promise.resolve(cachedBin)
  building ??= new Promise<string>((ok, fail) => {
    // Built beside the cache and renamed into it, so two test files building at once never share a tree.
    const tmp = `${cacheDir}.tmp-${process.pid}`
    rmSync(tmp, { recursive: true, force: true })
    mkdirSync(dirname(cacheDir), { recursive: true })
    execFile('bash', [script, tmp], { timeout: 600_000 }, (err, _stdout, stderr) => {
      if (err) return fail(new Error(`building Wakaama failed: ${stderr.trim() || err.message}`))
      try {
        if (!existsSync(cachedBin)) renameSync(tmp, cacheDir)
        else rmSync(tmp, { recursive: true, force: true })
      } catch (e) {
        if (!existsSync(cachedBin)) return fail(e as Error)
      }
      ok(cachedBin)
    })
  })
  return building
}

/**
 * A UDP port free on every address (the client's -l LOCAL_PORT): Wakaama binds the wildcard, so a
 * port free on 127.0.0.1 but held on another loopback address (other tests use 127.0.0.x) fails
 * with EADDRINUSE. The probe socket is bound for a moment, receives nothing, and is closed.
 */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '0.0.0.0', r))
  const { port } = s.address()
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

export interface WakaamaOptions {
  endpoint: string
  /** Port of our bootstrap server (with bootstrap) or LwM2M server, on 127.0.0.1. */
  port: number
  identity: string
  key: Uint8Array
  bootstrap?: boolean
  lifetime?: number
}

/** A running Wakaama client. */
export interface WakaamaClient {
  readonly endpoint: string
  readonly localPort: number
  /** Everything it printed so far. */
  output(): string
  /** Resolves when its output (from `from`, default everything so far) matches; rejects on timeout or exit. */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpExecArray>
  /** Types one console line (e.g. `send 101 /3/0/13`). */
  command(line: string): void
  /** `quit`, then SIGKILL if it is still there after 3 s. */
  stop(): Promise<void>
}

/**
 * Starts the client with stdin held open and unbuffered stdout; resolves once it bound its port
 * ("LWM2M Client ... started"), trying another port when that one was taken meanwhile.
 */
export async function startWakaama(o: WakaamaOptions): Promise<WakaamaClient> {
  for (let attempt = 1; ; attempt++) {
    const client = await spawnWakaama(o, await freeUdpPort())
    try {
      await client.waitFor(/LWM2M Client "[^"]*" started on port/, 10_000)
      return client
    } catch (err) {
      await client.stop()
      if (attempt >= 5 || !/Failed to open socket/.test(client.output())) throw err
    }
  }
}

async function spawnWakaama(o: WakaamaOptions, localPort: number): Promise<WakaamaClient> {
  const bin = await wakaamaBinary()
  const args = ['-o0', bin, '-4', '-h', '127.0.0.1', '-p', String(o.port), '-n', o.endpoint, '-l', String(localPort)]
  args.push('-i', o.identity, '-s', Buffer.from(o.key).toString('hex'))
  if (o.bootstrap) args.push('-b')
  if (o.lifetime !== undefined) args.push('-t', String(o.lifetime))
  const child: ChildProcessWithoutNullStreams = spawn('stdbuf', args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let exited: string | undefined
  const waiters = new Set<() => void>()
  const wake = (): void => {
    for (const w of [...waiters]) w()
  }
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d
    wake()
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    out += d
    wake()
  })
  child.stdin.on('error', () => {})
  child.on('exit', (code, signal) => {
    exited = `wakaama exited (${signal ?? code})`
    wake()
  })
  child.on('error', (err) => {
    exited = `wakaama failed to start: ${err.message}`
    wake()
  })
  return {
    endpoint: o.endpoint,
    localPort,
    output: () => out,
    waitFor(pattern, timeoutMs = 30_000, from = 0) {
      return new Promise((ok, fail) => {
        const check = (): void => {
          const m = pattern.exec(out.slice(from))
          if (m) return done(() => ok(m))
          if (exited) return done(() => fail(new Error(`${exited} before ${pattern}; output tail:\n${out.slice(-2000)}`)))
        }
        const timer = setTimeout(() => done(() => fail(new Error(`timeout waiting for ${pattern}; output tail:\n${out.slice(-2000)}`))), timeoutMs)
        const done = (f: () => void): void => {
          clearTimeout(timer)
          waiters.delete(check)
          f()
        }
        waiters.add(check)
        check()
      })
    },
    command(line) {
      child.stdin.write(line + '\n')
    },
    async stop() {
      if (exited) return
      const gone = new Promise<void>((r) => child.once('exit', () => r()))
      child.stdin.write('quit\n')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
      await gone
      clearTimeout(timer)
    },
  }
}
