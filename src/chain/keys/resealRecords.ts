import type { Address, Hex, PublicClient } from 'viem'
import type { ChainConnection } from '../connectChain.js'
import { RecordChangedError } from '../errors.js'
import { clientStoreAbi, userStoreAbi } from '../generated/contracts.js'
import { emailHash } from '../hashes.js'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import { clientKeyContext, userEmailContext, userPasswordContext } from '../records/sealContexts.js'
import { sealValue } from '../records/sealValue.js'
import type { OnChainUserRecord } from '../records/userRecord.js'
import { loadViewState } from '../view/loadViewState.js'
import type { ClientEntry, UserEntry } from '../view/types.js'
import { writeAndWait } from '../writeAndWait.js'
import type { SealingKeyRing } from './keyRing.js'

export interface ResealParameters {
  clientStore: Address
  userStore: Address
  deployBlock: bigint
  /** Opens what is sealed now (old and new keys). */
  ring: SealingKeyRing
  /** The key to seal to (the one now on chain). */
  publicKey: Hex
  /** With it, user records also get the keyed e-mail hash (migrating plain hashes). */
  emailKey?: Uint8Array
  /** Records per transaction. Default 50. */
  batchSize?: number
  /** Called after each batch lands (and once at the start with done = 0); awaited when it returns a promise. */
  onProgress?: (done: number, total: number) => void | Promise<void>
}

/** What a re-seal did. */
export interface ResealReport {
  clients: number
  users: number
  /** Records that were already sealed to the new key (and keyed, for users). */
  unchanged: number
  transactions: number
  /** Records changed by someone else meanwhile, read again and re-sealed on a later pass. */
  retried: number
  /** Records that could not be opened with any key held: left as they are (they can never be opened). */
  unopenable: string[]
  /** True when a final read found nothing left to re-seal (false after 5 passes that each met concurrent changes). */
  complete: boolean
}

type Job =
  | { kind: 'client'; version: number; record: OnChainClientRecord }
  | { kind: 'user'; version: number; record: OnChainUserRecord }

const MAX_PASSES = 5

/**
 * Re-seals every client and user record to `publicKey`, in batches of version-checked updates
 * (ClientStore.updateClients / UserStore.updateUsers), so a record changed meanwhile is never
 * overwritten: its batch is refused and the next pass reads it again. Passes repeat until a read
 * finds nothing left sealed to another key (at most 5 passes; `complete` says whether it did). Plaintexts stay in memory only.
 */
export async function resealRecords(conn: ChainConnection, p: ResealParameters): Promise<ResealReport> {
  const report: ResealReport = { clients: 0, users: 0, unchanged: 0, transactions: 0, retried: 0, unopenable: [], complete: false }
  const size = p.batchSize ?? 50
  let firstPass = true
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const { jobs, unchanged, unopenable } = await plan(conn.publicClient, p, conn.rpcUrl)
    if (firstPass) {
      report.unchanged = unchanged
      report.unopenable = unopenable
      await p.onProgress?.(0, jobs.length)
      firstPass = false
    }
    if (jobs.length === 0) return { ...report, complete: true }
    let done = 0
    let refused = 0
    for (const kind of ['client', 'user'] as const) {
      const mine = jobs.filter((j) => j.kind === kind)
      for (let i = 0; i < mine.length; i += size) {
        const batch = mine.slice(i, i + size)
        try {
          await writeBatch(conn, p, kind, batch)
          report.transactions++
          if (kind === 'client') report.clients += batch.length
          else report.users += batch.length
        } catch (err) {
          if (!(err instanceof RecordChangedError)) throw err
          refused += batch.length
        }
        done += batch.length
        await p.onProgress?.(done, jobs.length)
      }
    }
    // The next pass reads again: it finds nothing (done), or what was refused or written meanwhile.
    report.retried += refused
  }
  return report
}

/** Reads the stores and builds the re-sealed records of everything not yet sealed to `publicKey`. */
async function plan(client: PublicClient, p: ResealParameters, rpcUrl: string): Promise<{ jobs: Job[]; unchanged: number; unopenable: string[] }> {
  const state = await loadViewState(client, { clientStore: p.clientStore, userStore: p.userStore, deployBlock: p.deployBlock, rpcUrl })
  const want = p.publicKey.toLowerCase()
  const { clients, users } = state.entries()
  const jobs: Job[] = []
  const unopenable: string[] = []
  let unchanged = 0
  const open = (sealed: Hex, context: string) => p.ring.open(sealed, context)
  for (const c of clients) {
    const bs = open(c.bootstrapKeySealed, clientKeyContext(c.endpoint, 'bootstrap'))
    const sv = open(c.serverKeySealed, clientKeyContext(c.endpoint, 'server'))
    if (!bs || !sv) {
      unopenable.push(`client ${c.endpoint}`)
      continue
    }
    if (bs.publicKey === want && sv.publicKey === want) {
      unchanged++
      continue
    }
    jobs.push({ kind: 'client', version: c.version, record: resealClient(c, bs.value, sv.value, p.publicKey) })
  }
  for (const u of users) {
    const email = open(u.emailSealed, userEmailContext(u.username))
    const verifier = open(u.passwordSealed, userPasswordContext(u.username))
    if (!email || !verifier) {
      unopenable.push(`user ${u.username}`)
      continue
    }
    const keyedHash = p.emailKey ? emailHash(new TextDecoder().decode(email.value), p.emailKey) : u.emailHash
    if (email.publicKey === want && verifier.publicKey === want && keyedHash.toLowerCase() === u.emailHash.toLowerCase()) {
      unchanged++
      continue
    }
    jobs.push({ kind: 'user', version: u.version, record: resealUser(u, email.value, verifier.value, p.publicKey, keyedHash) })
  }
  return { jobs, unchanged, unopenable }
}

function resealClient(c: ClientEntry, bsKey: Uint8Array, svKey: Uint8Array, publicKey: Hex): OnChainClientRecord {
  return {
    endpoint: c.endpoint,
    bootstrapUri: c.bootstrapUri,
    bootstrapIdentity: c.bootstrapIdentity,
    bootstrapKeySealed: sealValue(publicKey, bsKey, clientKeyContext(c.endpoint, 'bootstrap')),
    serverUri: c.serverUri,
    serverIdentity: c.serverIdentity,
    serverKeySealed: sealValue(publicKey, svKey, clientKeyContext(c.endpoint, 'server')),
  }
}

function resealUser(u: UserEntry, email: Uint8Array, verifier: Uint8Array, publicKey: Hex, keyedHash: Hex): OnChainUserRecord {
  return {
    username: u.username,
    role: u.role,
    emailHash: keyedHash,
    emailSealed: sealValue(publicKey, email, userEmailContext(u.username)),
    passwordSealed: sealValue(publicKey, verifier, userPasswordContext(u.username)),
  }
}

async function writeBatch(conn: ChainConnection, p: ResealParameters, kind: 'client' | 'user', batch: Job[]): Promise<void> {
  const versions = batch.map((j) => BigInt(j.version))
  const records = batch.map((j) => j.record)
  await writeAndWait(
    conn,
    kind === 'client'
      ? { address: p.clientStore, abi: clientStoreAbi, functionName: 'updateClients', args: [records, versions] }
      : { address: p.userStore, abi: userStoreAbi, functionName: 'updateUsers', args: [records, versions] },
  )
}
