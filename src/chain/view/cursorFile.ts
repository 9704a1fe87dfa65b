import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Address, Hex } from 'viem'
import type { OpenedSecretsBlock } from './openedSecrets.js'
import type { ClientEntry, UserEntry } from './types.js'

/** What the view persists: where it stopped and the state at that point (secrets only sealed, each alone or all in one block). */
export interface ViewSnapshot {
  format: 1
  chainId: number
  clientStore: Address
  userStore: Address
  deployBlock: string
  cursor: { block: string; hash: Hex }
  clients: ClientEntry[]
  users: UserEntry[]
  /** The entries' opened secrets, sealed as one block (openedSecrets.ts); absent during a key rotation. */
  opened?: OpenedSecretsBlock
}

/** Reads a snapshot; undefined when the file is missing, unreadable or of another format. */
export function readViewSnapshot(path: string): ViewSnapshot | undefined {
  if (!existsSync(path)) return undefined
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as ViewSnapshot
    if (s.format !== 1 || !s.cursor || !Array.isArray(s.clients) || !Array.isArray(s.users)) return undefined
    return s
  } catch {
    return undefined
  }
}

/** Writes a snapshot atomically (temp file + rename), mode 0600. */
export function writeViewSnapshot(path: string, snapshot: ViewSnapshot): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(snapshot), { mode: 0o600 })
  renameSync(tmp, path)
}
