import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  WebSocketRequestError,
} from 'viem'
import { LwchainError, redactUrl } from '../errors/base.js'
import { InsufficientFundsError } from './fees.js'
import { classifyTxError } from './txErrors.js'
import { roleNameOf } from './roles/roles.js'
import {
  AnomalyNotFoundError,
  ChainCallError,
  ChainUnreachableError,
  ClientExistsError,
  ClientNotFoundError,
  EmailTakenError,
  IdentityTakenError,
  InvalidRecordError,
  LastAdminError,
  RecordChangedError,
  UnauthorizedError,
  UserExistsError,
  UserNotFoundError,
} from './errors.js'

/** What the caller knows about the call, so the message can name things instead of hashes. */
export interface ChainErrorContext {
  rpcUrl?: string
  endpoint?: string
  username?: string
  anomalyId?: bigint | number
  /** The signer's address, for "insufficient funds". */
  account?: string
}

/** Name and arguments of a contract custom error, if `err` is a revert with one. */
export function revertOf(err: unknown): { errorName: string; args: readonly unknown[] } | undefined {
  if (!(err instanceof BaseError)) return undefined
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError)
  if (reverted instanceof ContractFunctionRevertedError && reverted.data?.errorName) {
    return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] }
  }
  return undefined
}

/** True when `err` means the RPC endpoint could not be reached at all. */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof ChainUnreachableError) return true
  if (err instanceof BaseError) {
    const found = err.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WebSocketRequestError)
    if (found) {
      // An HTTP error status means something answered; only transport failures are "unreachable".
      return !(found instanceof HttpRequestError && typeof found.status === 'number')
    }
  }
  let e: unknown = err
  while (e) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /ECONNREFUSED|ENOTFOUND|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|UND_ERR/.test(code)) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/**
 * Turns whatever viem threw into one LwchainError with a stable code: contract custom errors
 * become their typed counterparts, transport failures become ChainUnreachableError, anything else
 * a one-line ChainCallError. Never includes RPC credentials.
 */
export function toChainError(err: unknown, ctx: ChainErrorContext = {}): LwchainError {
  if (err instanceof LwchainError) return err
  const revert = revertOf(err)
  if (revert) {
    const { errorName, args } = revert
    switch (errorName) {
      case 'ClientExists':
        return new ClientExistsError(ctx.endpoint ?? String(args[0]))
      case 'ClientNotFound':
        return new ClientNotFoundError(ctx.endpoint ?? String(args[0]))
      case 'IdentityTaken':
        return new IdentityTakenError()
      case 'UserExists':
        return new UserExistsError(ctx.username ?? String(args[0]))
      case 'UserNotFound':
        return new UserNotFoundError(ctx.username ?? String(args[0]))
      case 'EmailTaken':
        return new EmailTakenError()
      case 'InvalidRole':
        return new InvalidRecordError(`invalid role ${String(args[0])}`)
      case 'InvalidRecord':
      case 'InvalidAnomaly':
        return new InvalidRecordError(String(args[0]))
      case 'AnomalyNotFound':
        return new AnomalyNotFoundError(ctx.anomalyId ?? String(args[0]))
      case 'AccessControlUnauthorizedAccount':
        return new UnauthorizedError(String(args[0]), roleNameOf(String(args[1])))
      case 'VersionMismatch':
        return new RecordChangedError(ctx.endpoint ? `client "${ctx.endpoint}"` : ctx.username ? `user "${ctx.username}"` : `record ${String(args[0])}`)
      case 'LastAdmin':
        return new LastAdminError(ctx.username ?? String(args[0]))
      default:
        return new ChainCallError(`the contract reverted with ${errorName}`, err)
    }
  }
  // Before "unreachable": a node's refusal for lack of funds is one clear line, whatever the wrapper.
  if (classifyTxError(err) === 'insufficient-funds') return new InsufficientFundsError(ctx.account)
  if (isUnreachable(err)) {
    return new ChainUnreachableError(redactUrl(ctx.rpcUrl ?? 'the configured RPC URL'), { cause: err })
  }
  const short = err instanceof BaseError ? err.shortMessage : err instanceof Error ? err.message : String(err)
  const line = (short.split('\n')[0] ?? 'chain call failed').trim()
  // viem messages can quote the request URL; keep credentials out of the line.
  const safe = ctx.rpcUrl ? line.split(ctx.rpcUrl).join(redactUrl(ctx.rpcUrl)) : line
  return new ChainCallError(safe, err)
}
