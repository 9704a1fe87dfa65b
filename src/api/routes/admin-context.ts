import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ChainConnection } from '../../chain/connectChain.js'
import { loadProfile, requireDeployment, type Deployment } from '../../chain/profile.js'
import type { ChainView } from '../../chain/view/createChainView.js'
import { inlineSealer, type Sealer } from '../../chain/records/sealValue.js'
import { sendError } from '../auth/httpErrors.js'

/** What the admin routes write with: the daemon's writer connection, its config dir and chain view. */
export interface AdminRoutesDeps {
  /**
   * A connection whose signer holds the writer role (`serve server --writer-key-file`). Without
   * it the listing routes still answer from the view, and every write answers 403 saying why.
   */
  conn?: ChainConnection
  /** Config dir of the deployment (profile: contract addresses, sealing public key, e-mail key). */
  configDir: string
  /** Waited on after each write, so the change is visible (and tokens re-checked) when the route answers. */
  view: Pick<ChainView, 'waitForBlock' | 'users' | 'userByUsername' | 'clientByEndpoint'>
  /** How long a write waits for the view to catch up. Default 30 s. */
  viewTimeoutMs?: number
  /**
   * Who seals what the routes write: the daemon's SealingPool, so a bulk import's thousands of
   * seals (~0.3-1 ms each) run off the event loop. Default: this thread.
   */
  sealer?: Sealer
}

/** Why the admin writes are off on a server without a writer key (the 403's message and GET /api/me's reason). */
export const NO_WRITER_KEY =
  'device and user management is off on this server: it was started without a writer key (serve server --writer-key-file)'

/** The deployment the admin routes write to (read once, at registration). */
export function adminDeployment(deps: AdminRoutesDeps): Deployment {
  return requireDeployment(loadProfile(deps.configDir))
}

/** The writer connection, for handlers behind `requireWriter` (which answered 403 without one). */
export function writerOf(deps: AdminRoutesDeps): ChainConnection {
  if (!deps.conn) throw new Error('admin write route reached without a writer key')
  return deps.conn
}

/** An onRequest guard (after requireRole('admin')): 403 with NO_WRITER_KEY when the server holds no writer key. */
export function requireWriter(deps: AdminRoutesDeps) {
  return async function writerGuard(_request: FastifyRequest, reply: FastifyReply) {
    if (!deps.conn) return sendError(reply, 403, 'forbidden', NO_WRITER_KEY)
  }
}

/** The sealer the admin routes use (the daemon's pool, else this thread). */
export function sealerOf(deps: AdminRoutesDeps): Sealer {
  return deps.sealer ?? inlineSealer
}
