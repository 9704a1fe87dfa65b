/** The three UserStore roles as the API names them. */
export type Role = 'admin' | 'user' | 'application'

/** Who made a request, as requireRole() established it from the token and the chain view. */
export interface AuthContext {
  username: string
  role: Role
  /** The user's on-chain version when the token was issued (any update bumps it: re-login). */
  version: number
}

/** Every role, for schemas and checks. */
export const ROLE_NAMES: readonly Role[] = ['admin', 'user', 'application']

/** True for a role name the API knows ('unknown' from the chain is not one). */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLE_NAMES as readonly string[]).includes(value)
}
