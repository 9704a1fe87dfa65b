import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { LwchainError } from '../errors/base.js'
import { acquireDirLock, DirLockedError, type DirLock } from '../lock/dirLock.js'
import type { Logger } from '../logger.js'
import { startEmbeddedMiner } from './embeddedMiner.js'
import { processesWithArgs } from './processesWithArgs.js'

/** Options of the embedded chain: where it listens and where it keeps its state. */
export interface EmbeddedChainOptions {
  /** TCP port; 0 picks a free one. Default 8545. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Directory for `anvil-state.json`; without it the chain lives in memory only. */
  dataDir?: string
  /**
   * Seconds between periodic state dumps (so a crash loses little). Default 30: each dump writes
   * the whole state and history as JSON (380 MB at 46,000 clients), and every 5 s that kept anvil
   * busy dumping through a big import. A stop (SIGTERM) always dumps.
   */
  stateIntervalSeconds?: number
  /** Chain id; default anvil's 31337. */
  chainId?: number
  /**
   * Block time in seconds (interval mining). Default: on demand, by an EmbeddedMiner: a block as
   * soon as a transaction waits, paced under load so that transactions share blocks.
   */
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

/**
 * The chain state directory is in use: by another live lwchain (its lock), or by an anvil that an
 * earlier lwchain left running on the state file. Two anvils on one state file would each
 * overwrite the other's dumps.
 */
export class ChainStateInUseError extends LwchainError {
  override name = 'ChainStateInUseError'
  /** The process to stop (the lock holder, or the orphaned anvil). */
  readonly pid: number
  constructor(message: string, pid: number) {
    super(message, { code: 'LWC_CHAIN_STATE_IN_USE' })
    this.pid = pid
  }
}

/**
 * Block gas limit of the embedded chain: 1 G, room for several windows of import batches
 * (16 × 13.5 M gas). Each transaction still stays under real networks' limits (addClients cuts
 * batches for them); only blocks are bigger than mainnet's.
 */
export const EMBEDDED_BLOCK_GAS_LIMIT = 1_000_000_000

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
 * keeps contracts and records. Resolves once anvil listens. With a `dataDir`, the directory is
 * locked for as long as anvil runs (ChainStateInUseError while another lwchain's anvil, or an
 * orphaned one, runs on the same state file).
 */
export async function startEmbeddedChain(options: EmbeddedChainOptions = {}): Promise<EmbeddedChain> {
  const host = options.host ?? '127.0.0.1'
  const args = ['--port', String(options.port ?? 8545), '--host', host]
  let statePath: string | undefined
  let lock: DirLock | undefined
  if (options.dataDir) {
    const dir = resolve(options.dataDir)
    mkdirSync(dir, { recursive: true })
    statePath = join(dir, 'anvil-state.json')
    lock = lockStateDir(dir, statePath)
    args.push('--state', statePath, '--state-interval', String(options.stateIntervalSeconds ?? 30))
    // No --preserve-historical-states: with it every dump carries a full state per kept block,
    // so the file grows with blocks × state (3 GB, rewritten every 5 s, at 30,000 clients) and a
    // 30,000-row import took 187 s instead of 70 s. Events, blocks and receipts survive a restart
    // without it; only calls at blocks mined before the restart do not.
    // States anvil pages out of memory go here, not to ~/.foundry/anvil/tmp: that directory is
    // cleaned only by an anvil that exits normally, and grew to 78 GB here over a day of runs.
    // Ours is emptied at each start (the lock says no anvil of ours uses it).
    const cache = join(dir, 'states')
    rmSync(cache, { recursive: true, force: true })
    args.push('--cache-path', cache)
  }
  if (options.chainId !== undefined) args.push('--chain-id', String(options.chainId))
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime))
  // On demand: our miner mines (see embeddedMiner.ts), with room in a block for a whole window
  // of an import's batches.
  else args.push('--no-mining', '--gas-limit', String(EMBEDDED_BLOCK_GAS_LIMIT))

  // Its own process group: a terminal's Ctrl-C then reaches lwchain alone, which stops the chain
  // last, after the daemons that read it. The exit hook makes sure it never outlives lwchain
  // (except after kill -9: lockStateDir then finds the orphan on the next start).
  let child: ChildProcess
  try {
    child = spawn(anvilBinaryPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  } catch (err) {
    lock?.release()
    throw err
  }
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  process.once('exit', killOnExit)
  const exited = new Promise<number | null>((res) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit)
      // The state file is free once anvil has written its last dump and exited.
      lock?.release()
      res(code)
    }),
  )
  // A failed spawn (no binary) emits 'error' and no 'exit'.
  child.once('error', () => lock?.release())
  const port = await waitForListening(child, options.logger)
  const rpcUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  lock?.update({ anvilPid: child.pid, rpcUrl })
  options.logger?.info({ rpcUrl, statePath }, 'embedded chain listening')
  const miner = options.blockTime === undefined ? startEmbeddedMiner({ rpcUrl, logger: options.logger }) : undefined
  void exited.then(() => miner?.stop())

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await miner?.stop()
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

/**
 * Locks the chain state directory (anvil-lock/) and refuses an anvil already running on the state
 * file without a live lwchain holding the lock: an orphan of a killed run. It is not adopted: this
 * process could neither stop it in order nor see it exit, so the user is told to stop it.
 */
function lockStateDir(dir: string, statePath: string): DirLock {
  let lock: DirLock
  try {
    lock = acquireDirLock(join(dir, 'anvil-lock'))
  } catch (err) {
    if (!(err instanceof DirLockedError) || !err.holder) throw err
    const { pid, info } = err.holder
    const at = typeof info?.rpcUrl === 'string' ? ` (anvil at ${info.rpcUrl})` : ''
    throw new ChainStateInUseError(`the chain state in ${dir} is in use by lwchain process ${pid}${at}; stop it first, or use another data dir`, pid)
  }
  const orphans = processesWithArgs(['--state', statePath])
  if (orphans.length > 0) {
    lock.release()
    throw new ChainStateInUseError(
      `an anvil left running by an earlier lwchain (pid ${orphans.join(', ')}) still holds ${statePath}; ` +
        `stop it with \`kill ${orphans.join(' ')}\` (it saves its state on SIGTERM), then start again`,
      orphans[0],
    )
  }
  return lock
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
