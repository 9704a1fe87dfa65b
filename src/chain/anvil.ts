import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { LwchainError } from '../errors/base.js'
import type { Logger } from '../logger.js'

/** Options of the embedded chain: where it listens and where it keeps its state. */
export interface EmbeddedChainOptions {
  /** TCP port; 0 picks a free one. Default 8545. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Directory for `anvil-state.json`; without it the chain lives in memory only. */
  dataDir?: string
  /** Seconds between periodic state dumps (so a crash loses little). Default 5. */
  stateIntervalSeconds?: number
  /** Chain id; default anvil's 31337. */
  chainId?: number
  /** Block time in seconds; default: mine on every transaction. */
  blockTime?: number
  logger?: Logger
}

/** A running embedded chain. */
export interface EmbeddedChain {
  rpcUrl: string
  port: number
  host: string
  statePath?: string
  pid: number
  /** Stops anvil with SIGTERM (so it dumps its state) and resolves once it has exited. */
  stop(): Promise<void>
  /** Resolves with the exit code when anvil exits for any reason. */
  exited: Promise<number | null>
}

/** Anvil could not start (binary missing, port taken, bad state file). */
export class EmbeddedChainError extends LwchainError {
  override name = 'EmbeddedChainError'
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'LWC_EMBEDDED_CHAIN', cause })
  }
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' }

/** Path of the anvil binary shipped by the `@foundry-rs/anvil` npm package for this platform. */
export function anvilBinaryPath(): string {
  if (process.env.LWCHAIN_ANVIL_BIN) return process.env.LWCHAIN_ANVIL_BIN
  const require = createRequire(import.meta.url)
  const pkg = `@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}`
  try {
    const dir = dirname(require.resolve(`${pkg}/package.json`))
    const bin = join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
    if (existsSync(bin)) return bin
  } catch {
    // fall through to the error below
  }
  throw new EmbeddedChainError(`anvil is not installed for ${process.platform}-${process.arch} (npm package ${pkg})`)
}

/**
 * Starts anvil from the npm registry package, with its state persisted in `dataDir` so a restart
 * keeps contracts and records. Resolves once anvil listens.
 */
export async function startEmbeddedChain(options: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
  const host = options.host ?? '127.0.0.1'
  const args = ['--port', String(options.port ?? 8545), '--host', host]
  let statePath: string | undefined
  if (options.dataDir) {
    const dir = resolve(options.dataDir)
    mkdirSync(dir, { recursive: true })
    statePath = join(dir, 'anvil-state.json')
    args.push('--state', statePath, '--state-interval', String(options.stateIntervalSeconds ?? 5))
    // Keep historical states so event queries and calls at old blocks keep working after a restart.
    args.push('--preserve-historical-states')
  }
  if (options.chainId !== undefined) args.push('--chain-id', String(options.chainId))
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime))

  // Its own process group: a terminal's Ctrl-C then reaches lwchain alone, which stops the chain
  // last, after the daemons that read it. The exit hook makes sure it never outlives lwchain.
  const child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  process.once('exit', killOnExit)
  const exited = new Promise<number | null>((res) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit)
      res(code)
    }),
  )
  const port = await waitForListening(child, options.logger)
  const rpcUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  options.logger?.info({ rpcUrl, statePath }, 'embedded chain listening')

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    })()
    return stopping
  }
  return { rpcUrl, port, host, statePath, pid: child.pid ?? 0, stop, exited }
}

function waitForListening(child: ChildProcess, logger?: Logger): Promise<number> {
  return new Promise((res, rej) => {
    let out = ''
    let err = ''
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const m = /Listening on .*:(\d+)/.exec(out)
      if (m) {
        child.stdout?.off('data', onData)
        // Keep draining so anvil never blocks on a full pipe.
        child.stdout?.on('data', (c: Buffer) => logger?.trace({ anvil: c.toString().trim() }))
        res(Number(m[1]))
      }
      if (out.length > 1_000_000) out = out.slice(-10_000)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString()
      logger?.debug({ anvil: c.toString().trim() })
    })
    child.once('error', (e) => rej(new EmbeddedChainError(`cannot start anvil: ${e.message}`, e)))
    child.once('exit', (code) => {
      const line = (err.trim().split('\n').pop() ?? '').replace(/^error:\s*/i, '')
      rej(new EmbeddedChainError(`anvil exited with code ${code}${line ? `: ${line}` : ''}`))
    })
  })
}
