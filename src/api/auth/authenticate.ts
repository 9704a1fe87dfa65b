import { LwchainError } from '../../errors/base.js'
import { generatePassword, hashPassword, verifyPassword } from '../../chain/users/password.js'
import type { UserView } from '../../chain/view/types.js'

/** Looks users up by username and by e-mail (a ChainView is adapted by userDirectoryOf). */
export interface UserLookup {
  byUsername(username: string): UserView | undefined
  byEmail(email: string): UserView | undefined
}

/** Too many password checks are queued: the login is refused rather than starving the thread pool. */
export class LoginBusyError extends LwchainError {
  override name = 'LoginBusyError'
  constructor() {
    super('too many logins in progress; retry shortly', { code: 'LWC_LOGIN_BUSY' })
  }
}

/**
 * A password checker that costs the same whether or not the account exists: unknown users and
 * users without an unsealed verifier are checked against a throw-away verifier, so timing does
 * not tell which usernames exist.
 */
export interface PasswordAuthenticator {
  /** The user `account` names (username, or e-mail when it contains '@'); no password check. */
  lookup(account: string): UserView | undefined
  /** True when `user` exists and `password` matches its verifier (runs the decoy check otherwise). */
  check(user: UserView | undefined, password: string): Promise<boolean>
}

export interface PasswordAuthenticatorOptions {
  /** scrypt checks running at once. Default 2 (libuv's pool has 4 threads; file I/O such as the ledger's fsync shares it). */
  concurrency?: number
  /** Checks waiting beyond that; more are refused with LoginBusyError. Default 64. */
  maxQueued?: number
}

/** Creates the authenticator; the decoy verifier is hashed once, on first use. */
export function createPasswordAuthenticator(users: UserLookup, o: PasswordAuthenticatorOptions = {}): PasswordAuthenticator {
  const concurrency = o.concurrency ?? 2
  const maxQueued = o.maxQueued ?? 64
  let decoy: Promise<string> | undefined
  const decoyVerifier = (): Promise<string> => (decoy ??= hashPassword(generatePassword()))
  let running = 0
  const queue: (() => void)[] = []
  const slot = async (): Promise<void> => {
    if (running < concurrency) {
      running++
      return
    }
    if (queue.length >= maxQueued) throw new LoginBusyError()
    // The releasing check hands its slot over directly, so `running` stays counted.
    await new Promise<void>((resolve) => queue.push(resolve))
  }
  const release = (): void => {
    const next = queue.shift()
    if (next) next()
    else running--
  }
  return {
    // Usernames cannot contain '@' (validateUsername), so the form says which lookup applies.
    lookup: (account) => (account.includes('@') ? users.byEmail(account.trim()) : users.byUsername(account)),
    async check(user, password) {
      const verifier = user?.passwordVerifier ?? (await decoyVerifier())
      await slot()
      try {
        // crypto.scrypt runs on libuv's thread pool: the event loop keeps serving other requests.
        const ok = await verifyPassword(password, verifier)
        return ok && user?.passwordVerifier !== undefined
      } finally {
        release()
      }
    },
  }
}
