import { LwchainError } from '../../errors/base.js'

/** The JWT signing key file is unreadable or malformed. */
export class JwtKeyError extends LwchainError {
  override name = 'JwtKeyError'
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'LWC_JWT_KEY', cause })
  }
}

/** A token that is missing, malformed, forged, expired, or no longer matches the user on chain. */
export class InvalidTokenError extends LwchainError {
  override name = 'InvalidTokenError'
  constructor(reason: string) {
    super(`invalid token: ${reason}`, { code: 'LWC_INVALID_TOKEN' })
  }
}
