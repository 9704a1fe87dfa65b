// Figs. 11 and 12: login latency through POST /api/login of a running `serve server` (chain-backed
// view), with the scrypt verifier check and the ChainView lookup timed apart; user add and update.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, http, type Hash } from 'viem'
import { startEmbeddedChain } from '../src/chain/anvil.js'
import { hashPassword, verifyPassword } from '../src/chain/users/password.js'
import { runDeploy } from '../src/commands/deploy/run.js'
import { runServeServer } from '../src/commands/serve/server.js'
import { runUserAdd } from '../src/commands/user/add.js'
import { runUserUpdate } from '../src/commands/user/update.js'
import { silentLogger } from '../src/logger.js'
import { eventually } from '../test/e2e/system.js'
import { freeTcpPort } from '../test/helpers/ports.js'
import { load1, stopWithin, summarize, type Summary } from './lib/stats.js'

export interface UsersRow {
  users: number
  /** POST /api/login, whole HTTP round trip, ms. */
  loginMs: Summary
  /** ChainView userByUsername alone, µs. */
  lookupUs: Summary
  /** `user add` until mined, ms (includes one scrypt hash). */
  addMs: Summary
  addGas: Summary
  /** `user update` (role change) until mined, ms. */
  updateMs: Summary
  updateGas: Summary
  load: number
}

export interface UsersResult {
  rows: UsersRow[]
  /** verifyPassword alone (scrypt N=2^15, r=8, p=1), ms. */
  scryptVerifyMs: Summary
  /** hashPassword alone, ms. */
  scryptHashMs: Summary
}

/** Grows the user registry through `sizes`; at each size measures `runs` logins, adds and updates. */
export async function runUsersBench(o: { sizes: number[]; runs: number; log?: (m: string) => void }): Promise<UsersResult> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const log = o.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-bench-users-'))
  const chain = await startEmbeddedChain({ port: await freeTcpPort(), dataDir: join(dir, 'chain') })
  const cmd = { configDir: join(dir, 'cfg'), rpc: chain.rpcUrl }
  const pc = createPublicClient({ transport: http(chain.rpcUrl) })
  const gasOf = async (hash: Hash) => Number((await pc.getTransactionReceipt({ hash })).gasUsed)
  const password = 'bench-password-1'
  try {
    await runDeploy(cmd)
    const srv = await runServeServer({ ...cmd, logger: silentLogger(), port: 0, httpPort: 0, console: false })
    const rows: UsersRow[] = []
    try {
      let count = 0
      for (const size of o.sizes) {
        const addMs: number[] = [], addGas: number[] = [], updateMs: number[] = [], updateGas: number[] = []
        while (count < size) {
          const username = `user${count}`
          const t = performance.now()
          const r = await runUserAdd(cmd, { username, email: `${username}@example.com`, role: 'user', password })
          const ms = performance.now() - t
          if (size - count <= o.runs) {
            addMs.push(ms)
            addGas.push(await gasOf(r.txHash))
          }
          count++
        }
        for (let i = 0; i < o.runs; i++) {
          const t = performance.now()
          const r = await runUserUpdate(cmd, { username: `user${i % count}`, role: i % 2 === 0 ? 'application' : 'user' })
          updateMs.push(performance.now() - t)
          updateGas.push(await gasOf(r.txHash))
        }
        await eventually(() => srv.view!.userByUsername(`user${count - 1}`) !== undefined)
        const loginMs: number[] = []
        for (let i = 0; i <= o.runs; i++) {
          const username = `user${(i * 7919) % count}`
          const t = performance.now()
          const res = await fetch(`${srv.api}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
          const ms = performance.now() - t
          if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}: ${await res.text()}`)
          await res.arrayBuffer()
          if (i > 0) loginMs.push(ms) // the first one also hashes the decoy verifier once
        }
        const lookupUs: number[] = []
        for (let i = 0; i < 200; i++) {
          const t = performance.now()
          srv.view!.userByUsername(`user${(i * 31) % count}`)
          lookupUs.push((performance.now() - t) * 1000)
        }
        rows.push({ users: count, loginMs: summarize(loginMs), lookupUs: summarize(lookupUs), addMs: summarize(addMs), addGas: summarize(addGas), updateMs: summarize(updateMs), updateGas: summarize(updateGas), load: load1() })
        log(`  fig11/12: ${count} users: login ${rows.at(-1)!.loginMs.median} ms, add ${rows.at(-1)!.addMs.median} ms`)
      }
    } finally {
      await stopWithin('serve server', () => srv.stop())
    }
    const verifier = await hashPassword(password)
    const verify: number[] = [], hash: number[] = []
    for (let i = 0; i < Math.max(5, o.runs); i++) {
      let t = performance.now()
      await verifyPassword(password, verifier)
      verify.push(performance.now() - t)
      t = performance.now()
      await hashPassword(password)
      hash.push(performance.now() - t)
    }
    return { rows, scryptVerifyMs: summarize(verify), scryptHashMs: summarize(hash) }
  } finally {
    await stopWithin('anvil', () => chain.stop())
    rmSync(dir, { recursive: true, force: true })
  }
}
