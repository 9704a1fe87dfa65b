import { LwchainError } from '../errors/base.js'

/**
 * Errors of the chain layer. Each has a stable `LWC_*` code and a one-line message fit for a
 * terminal; none carries a secret or an RPC URL with credentials.
 */

/** The RPC endpoint did not answer (connection refused, timeout, DNS). */
export class ChainUnreachableError extends LwchainError {
  override name = 'ChainUnreachableError'
  constructor(redactedUrl: string, options: { cause?: unknown; hint?: boolean } = {}) {
    const hint = options.hint === false ? '' : ': start it with `lwchain chain start` or pass --rpc'
    super(`cannot reach the chain at ${redactedUrl}${hint}`, {
      code: 'LWC_CHAIN_UNREACHABLE',
      cause: options.cause,
    })
  }
}

/** The RPC endpoint serves another chain than the profile was deployed on. */
export class WrongChainError extends LwchainError {
  override name = 'WrongChainError'
  constructor(expected: number, actual: number) {
    super(`wrong chain: the profile was deployed on chain id ${expected}, the RPC serves chain id ${actual}`, {
      code: 'LWC_WRONG_CHAIN',
    })
  }
}

/** No contracts deployed in this profile yet. */
export class NotDeployedError extends LwchainError {
  override name = 'NotDeployedError'
  constructor(configDir: string) {
    super(`no deployment in ${configDir}: run \`lwchain deploy\` first`, { code: 'LWC_NOT_DEPLOYED' })
  }
}

/** A write needs a signer and none was given (outside the embedded chain). */
export class SignerRequiredError extends LwchainError {
  override name = 'SignerRequiredError'
  constructor() {
    super('a signer key is required on this chain: pass --private-key-file or set LWCHAIN_PRIVATE_KEY', {
      code: 'LWC_SIGNER_REQUIRED',
    })
  }
}

/** A signer key file or variable that is not a 32-byte hex key. */
export class InvalidSignerKeyError extends LwchainError {
  override name = 'InvalidSignerKeyError'
  constructor(source: string, cause?: unknown) {
    super(`invalid signer key in ${source}: expected 32 bytes as hex`, { code: 'LWC_INVALID_SIGNER_KEY', cause })
  }
}

/** The sealing private key is missing or unreadable. */
export class SealingKeyError extends LwchainError {
  override name = 'SealingKeyError'
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'LWC_SEALING_KEY', cause })
  }
}

/** The signer lacks the contract role needed for a write (the contract's AccessControlUnauthorizedAccount). */
export class UnauthorizedError extends LwchainError {
  override name = 'UnauthorizedError'
  constructor(account: string, role?: string) {
    const why = role ? `lacks the ${role} role needed for this write: grant it with \`lwchain role grant ${role} ${account}\`` : 'is not allowed to write to this deployment'
    super(`account ${account} ${why}`, { code: 'LWC_UNAUTHORIZED' })
  }
}

/** A batch update named a version the record no longer has: it changed meanwhile (VersionMismatch). */
export class RecordChangedError extends LwchainError {
  override name = 'RecordChangedError'
  constructor(what: string) {
    super(`${what} changed while this update was prepared; read it again and retry`, { code: 'LWC_RECORD_CHANGED' })
  }
}

/** Refused by UserStore: the change would remove or demote the last admin account. */
export class LastAdminError extends LwchainError {
  override name = 'LastAdminError'
  constructor(username: string) {
    super(`refusing to remove or demote "${username}": it is the last admin account (add another admin first)`, { code: 'LWC_LAST_ADMIN' })
  }
}

export class ClientExistsError extends LwchainError {
  override name = 'ClientExistsError'
  constructor(endpoint: string) {
    super(`client "${endpoint}" already exists`, { code: 'LWC_CLIENT_EXISTS' })
  }
}

export class ClientNotFoundError extends LwchainError {
  override name = 'ClientNotFoundError'
  constructor(endpoint: string) {
    super(`client "${endpoint}" not found`, { code: 'LWC_CLIENT_NOT_FOUND' })
  }
}

export class IdentityTakenError extends LwchainError {
  override name = 'IdentityTakenError'
  constructor(what = 'a PSK identity of this record') {
    super(`${what} is already used by another client`, { code: 'LWC_IDENTITY_TAKEN' })
  }
}

export class UserExistsError extends LwchainError {
  override name = 'UserExistsError'
  constructor(username: string) {
    super(`user "${username}" already exists`, { code: 'LWC_USER_EXISTS' })
  }
}

export class UserNotFoundError extends LwchainError {
  override name = 'UserNotFoundError'
  constructor(username: string) {
    super(`user "${username}" not found`, { code: 'LWC_USER_NOT_FOUND' })
  }
}

export class EmailTakenError extends LwchainError {
  override name = 'EmailTakenError'
  constructor() {
    super('this e-mail address is already used by another user', { code: 'LWC_EMAIL_TAKEN' })
  }
}

export class AnomalyNotFoundError extends LwchainError {
  override name = 'AnomalyNotFoundError'
  constructor(id: bigint | number | string) {
    super(`anomaly ${id} not found`, { code: 'LWC_ANOMALY_NOT_FOUND' })
  }
}

/** The contract rejected a record as malformed (its InvalidRecord / InvalidAnomaly / InvalidRole). */
export class InvalidRecordError extends LwchainError {
  override name = 'InvalidRecordError'
  constructor(reason: string) {
    super(`the contract rejected the record: ${reason}`, { code: 'LWC_INVALID_RECORD' })
  }
}

/** Any other revert or RPC failure, reduced to one line. */
export class ChainCallError extends LwchainError {
  override name = 'ChainCallError'
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'LWC_CHAIN_CALL', cause })
  }
}
