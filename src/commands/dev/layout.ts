import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { LwchainError } from '../../errors/base.js'
import { acquireDirLock, DirLockedError } from '../../lock/dirLock.js'

/** Where `lwchain dev` keeps everything: one self-contained directory (default ./.lwchain). */
export interface DevLayout {
  dataDir: string
  /** Profile, sealing key, view cursors, admin.json: what `--config-dir` points CLI commands at. */
  configDir: string
  /** Anvil's state (anvil-state.json). */
  chainDir: string
  /** Ports of the last run (dev.json), reused when free so device records stay valid. */
  stateFile: string
  /** Logs while the dashboard owns the terminal. */
  logFile: string
}

/** Default data dir of `lwchain dev`. */
export const DEFAULT_DEV_DATA_DIR = '.lwchain'

/** The layout of a dev data dir (creates the directories, 0700); the config dir may live elsewhere. */
export function devLayout(dataDir = DEFAULT_DEV_DATA_DIR, configDir?: string): DevLayout {
  const dir = resolve(dataDir)
  const layout = {
    dataDir: dir,
    configDir: configDir ? resolve(configDir) : join(dir, 'config'),
    chainDir: join(dir, 'chain'),
    stateFile: join(dir, 'dev.json'),
    logFile: join(dir, 'dev.log'),
  }
  for (const d of [layout.dataDir, layout.configDir, layout.chainDir]) mkdirSync(d, { recursive: true, mode: 0o700 })
  return layout
}

/** Ports a dev run used. */
export interface DevPorts {
  rpc: number
  bootstrap: number
  server: number
  http: number
}

/** DESIGN.md's default ports. */
export const DEFAULT_DEV_PORTS: DevPorts = { rpc: 8545, bootstrap: 5784, server: 5684, http: 8080 }

/** The ports of the previous run, if any. */
export function readDevPorts(layout: DevLayout): Partial<DevPorts> {
  if (!existsSync(layout.stateFile)) return {}
  try {
    const v = JSON.parse(readFileSync(layout.stateFile, 'utf8')) as { ports?: Partial<DevPorts> }
    return v.ports ?? {}
  } catch {
    return {}
  }
}

/** Remembers the ports of this run. */
export function writeDevPorts(layout: DevLayout, ports: DevPorts): void {
  writeFileSync(layout.stateFile, JSON.stringify({ ports }, null, 2) + '\n')
}

/** Another `lwchain dev` runs on this data dir (two would share one chain state file). */
export class DevAlreadyRunningError extends LwchainError {
  override name = 'DevAlreadyRunningError'
  constructor(dataDir: string, pid: number) {
    super(`lwchain dev already runs on ${dataDir} (pid ${pid}); stop it first or give this one another --data-dir`, { code: 'LWC_DEV_RUNNING' })
  }
}

/** Claims the data dir for this process (dev-lock/, src/lock/dirLock.ts); returns the release. A dead holder's lock is taken over. */
export function lockDevDataDir(layout: DevLayout): () => void {
  try {
    const lock = acquireDirLock(join(layout.dataDir, 'dev-lock'))
    return () => lock.release()
  } catch (err) {
    if (err instanceof DirLockedError) throw new DevAlreadyRunningError(layout.dataDir, err.holder?.pid ?? 0)
    throw err
  }
}
