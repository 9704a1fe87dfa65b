import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { SignJWT } from 'jose'
import pino from 'pino'
import { createAnomalyLedger, type AnomalyLedger } from '../../src/anomalies/ledger.js'
import { loadOrCreateJwtKey } from '../../src/api/auth/jwtKey.js'
import { registerAuth, type AuthDeps } from '../../src/api/plugin-auth.js'
import { registerAdminClientRoutes } from '../../src/api/routes/admin-clients.js'
import { registerAdminUserRoutes } from '../../src/api/routes/admin-users.js'
import { registerAnomalyRoutes } from '../../src/api/routes/anomalies.js'
import { connectChain, type ChainConnection } from '../../src/chain/connectChain.js'
import { loadProfile, requireDeployment, type Deployment } from '../../src/chain/profile.js'
import type { ChainView } from '../../src/chain/view/createChainView.js'
import { openProfileView } from '../../src/chain/view/openProfileView.js'
import { createSealingPool } from '../../src/chain/sealingPool.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import type { ChainCommandOptions } from '../../src/commands/lib/context.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { createHttpApp, healthReport } from '../../src/api/http.js'
import { DEPLOYER_KEY, startAnvil, type TestAnvil } from '../helpers/anvil.js'

/** The three accounts every API test logs in with (one per role). */
export const ACCOUNTS = {
  admin: { username: 'ada', email: 'ada@example.com', password: 'ada-correct-horse-1' },
  user: { username: 'uma', email: 'Uma@Example.com', password: 'uma-battery-staple-2' },
  application: { username: 'app', email: 'app@example.com', password: 'app-stapler-3' },
} as const

/** A deployed test chain with a synced view, an anomaly ledger and the API app on a real port. */
export interface ApiHarness {
  anvil: TestAnvil
  o: ChainCommandOptions
  configDir: string
  deployment: Deployment
  view: ChainView
  conn: ChainConnection
  ledger: AnomalyLedger
  app: FastifyInstance
  jwtKey: Uint8Array
  /** Every log line the app and ledger wrote. */
  logs: string[]
  /** Logs in through the API; returns the token (throws on a non-200). */
  login(username: string, password: string): Promise<string>
  /** Signs a token with given claims and key (default: the deployment's key). */
  signToken(claims: { sub: string; role: string; ver: number; exp?: number }, key?: Uint8Array): Promise<string>
  /** Adds a user with the CLI's command function and waits until the view has it. */
  addUser(username: string, role: string, password: string, email?: string): Promise<void>
  close(): Promise<void>
}

/** Starts anvil, deploys with `lwchain deploy`, adds the three role accounts, builds the app. */
export async function givenApi(opts: { authDeps?: Partial<AuthDeps> } = {}): Promise<ApiHarness> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const anvil = await startAnvil()
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-api-'))
  const configDir = join(dir, 'cfg')
  const o: ChainCommandOptions = { configDir, rpc: anvil.rpcUrl }
  await runDeploy(o)
  const deployment = requireDeployment(loadProfile(configDir))
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean))
      cb()
    },
  })
  // No redaction here: the test proves the code never logs a secret in the first place.
  const logger = pino({ level: 'trace' }, sink)
  const { view } = await openProfileView({ configDir, rpc: anvil.rpcUrl, pollIntervalMs: 100, cursorName: 'api-view.json', logger })
  await view.start()
  const conn = await connectChain({ rpcUrl: anvil.rpcUrl, privateKey: DEPLOYER_KEY })
  const ledger = createAnomalyLedger({
    conn,
    address: deployment.contracts.anomalyStore,
    dataDir: join(dir, 'ledger'),
    logger,
    deployBlock: deployment.deployBlock,
    batchIntervalMs: 200,
    pollIntervalMs: 200,
  })
  await ledger.start()

  const addUser = async (username: string, role: string, password: string, email = `${username}@example.com`): Promise<void> => {
    await runUserAdd(o, { username, email, role, password })
    await view.syncNow()
  }
  for (const [role, a] of Object.entries(ACCOUNTS)) await addUser(a.username, role, a.password, a.email)

  const jwtKey = loadOrCreateJwtKey(configDir)
  const app = createHttpApp({ logger, health: () => healthReport(0, view.lag()) })
  await registerAuth(app, { users: view, jwtKey, logger, ...opts.authDeps })
  registerAnomalyRoutes(app, { ledger })
  // As the daemon does: the admin routes seal in worker threads.
  const sealingPool = createSealingPool({ workers: 1 })
  registerAdminClientRoutes(app, { conn, configDir, view, sealer: sealingPool })
  registerAdminUserRoutes(app, { conn, configDir, view, sealer: sealingPool })
  await app.ready()

  return {
    anvil,
    o,
    configDir,
    deployment,
    view,
    conn,
    ledger,
    app,
    jwtKey,
    logs,
    async login(username, password) {
      const r = await app.inject({ method: 'POST', url: '/api/login', payload: { username, password } })
      if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`)
      return r.json().token as string
    },
    signToken(claims, key = jwtKey) {
      return new SignJWT({ role: claims.role, ver: claims.ver })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(claims.sub)
        .setIssuer('lwchain')
        .setIssuedAt()
        .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300)
        .sign(key)
    },
    addUser,
    async close() {
      await app.close()
      await ledger.stop()
      await view.stop()
      await sealingPool.close()
      await anvil.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
