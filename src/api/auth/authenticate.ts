import { generatePassword, hashPassword, verifyPassword } from '../../chain/users/password.js'
import type { UserView } from '../../chain/view/types.js'

/** Looks users up by username and by e-mail (a ChainView satisfies it through `userDirectoryOf`). */
export interface UserLookup {
  byUsername(username: string): UserView | undefined
  byEmail(email: string): UserView | undefined
}

/**
 * A password checker that costs the same whether or not the account exists: unknown users and
 * users without an unsealed verifier are checked against a throw-away verifier, so timing does
 * not tell which usernames exist.
 */
export interface PasswordAuthenticator {
  /** The user when `account` (username or e-mail) exists and `password` matches it. */
  authenticate(account: string, password: string): Promise<UserView | undefined>
}

/** Creates the authenticator; the decoy verifier is hashed once, on first use. */
export function createPasswordAuthenticator(users: UserLookup): PasswordAuthenticator {
  let decoy: Promise<string> | undefined
  const decoyVerifier = (): Promise<string> => (decoy ??= hashPassword(generatePassword()))
  return {
    async authenticate(account, password) {
      // Usernames cannot contain '@' (validateUsername), so the form says which lookup applies.
      const user = account.includes('@') ? users.byEmail(account.trim()) : users.byUsername(account)
      const verifier = user?.passwordVerifier ?? (await decoyVerifier())
      // crypto.scrypt runs on libuv's thread pool: the event loop keeps serving other requests.
      const ok = await verifyPassword(password, verifier)
      return ok && user?.passwordVerifier ? user : undefined
    },
  }
}
