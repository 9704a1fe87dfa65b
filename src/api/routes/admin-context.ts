import type { ChainConnection } from '../../chain/connectChain.js'
import { loadProfile, requireDeployment, type Deployment } from '../../chain/profile.js'
import type { ChainView } from '../../chain/view/createChainView.js'

/** What the admin routes write with: the daemon's signer connection, its config dir and chain view. */
export interface AdminRoutesDeps {
  /** A connection with a signer holding the stores' admin roles. */
  conn: ChainConnection
  /** Config dir of the deployment (profile: contract addresses, sealing public key). */
  configDir: string
  /** Waited on after each write, so the change is visible (and tokens re-checked) when the route answers. */
  view: Pick<ChainView, 'waitForBlock' | 'users' | 'userByUsername' | 'clientByEndpoint'>
  /** How long a write waits for the view to catch up. Default 30 s. */
  viewTimeoutMs?: number
}

/** The deployment the admin routes write to (read once, at registration). */
export function adminDeployment(deps: AdminRoutesDeps): Deployment {
  return requireDeployment(loadProfile(deps.configDir))
}
