import { LwchainError } from '../../errors/base.js'
import { STORE_LABELS, type DeploymentRole, type StoreName } from './roles.js'

/** A key lacks the contract role its job needs (found at start, before any transaction). */
export class MissingRoleError extends LwchainError {
  override name = 'MissingRoleError'
  readonly role: DeploymentRole
  constructor(p: { what: string; account: string; role: DeploymentRole; missing: readonly StoreName[] }) {
    const on = p.missing.map((s) => STORE_LABELS[s]).join(' and ')
    super(`${p.what} ${p.account} lacks the ${p.role} role on ${on}: grant it with \`lwchain role grant ${p.role} ${p.account}\``, {
      code: 'LWC_MISSING_ROLE',
    })
    this.role = p.role
  }
}

/** Refused: revoking the role would leave a store without any admin. */
export class LastRoleAdminError extends LwchainError {
  override name = 'LastRoleAdminError'
  constructor(account: string, store: StoreName) {
    super(`refusing to revoke admin from ${account}: it is the last admin of ${STORE_LABELS[store]} (nobody could grant roles or rotate the sealing key after)`, {
      code: 'LWC_LAST_ROLE_ADMIN',
    })
  }
}
