// The signed-in session: the API's JWT kept in sessionStorage (gone when the tab closes), its
// claims decoded for display and routing only — the API checks the signature and the role.

const KEY = 'lwchain.token'

/** Roles as the API names them. */
export type Role = 'admin' | 'user' | 'application'

/** What the console knows about the signed-in account. */
export interface Session {
  token: string
  username: string
  role: Role
  /** Epoch ms when the token stops working. */
  expiresAt: number
}

/** Decodes a JWT's payload without verifying it (the server does); undefined when malformed. */
export function decodeToken(token: string): Session | undefined {
  const part = token.split('.')[1]
  if (!part) return undefined
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='))
    const claims = JSON.parse(json) as { sub?: unknown; role?: unknown; exp?: unknown }
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined
    const role = roleName(claims.role)
    if (!role) return undefined
    return { token, username: claims.sub, role, expiresAt: claims.exp * 1000 }
  } catch {
    return undefined
  }
}

function roleName(r: unknown): Role | undefined {
  if (r === 'admin' || r === 1 || r === '1') return 'admin'
  if (r === 'user' || r === 2 || r === '2') return 'user'
  if (r === 'application' || r === 3 || r === '3') return 'application'
  return undefined
}

/** The stored session if its token has not expired yet. */
export function loadSession(): Session | undefined {
  const token = sessionStorage.getItem(KEY)
  if (!token) return undefined
  const s = decodeToken(token)
  if (!s || s.expiresAt <= Date.now()) {
    sessionStorage.removeItem(KEY)
    return undefined
  }
  return s
}

/** Keeps a fresh token; returns its session or undefined when it is not a usable JWT. */
export function saveSession(token: string): Session | undefined {
  const s = decodeToken(token)
  if (!s) return undefined
  sessionStorage.setItem(KEY, token)
  return s
}

/** Forgets the token. */
export function clearSession(): void {
  sessionStorage.removeItem(KEY)
}
