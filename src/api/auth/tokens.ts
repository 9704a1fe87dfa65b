import { errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import { InvalidTokenError } from './errors.js'
import { isRole, type AuthContext } from './types.js'

/** Default token lifetime (15 minutes) and the longest allowed (1 hour). */
export const DEFAULT_TOKEN_TTL_SECONDS = 900
export const MAX_TOKEN_TTL_SECONDS = 3600
const ISSUER = 'lwchain'

/** Signs an HS256 JWT: sub = username, role, ver = on-chain version, exp = now + ttl. */
export async function issueToken(key: Uint8Array, ctx: AuthContext, o: { ttlSeconds: number; now: number }): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(o.now / 1000)
  const exp = iat + o.ttlSeconds
  const token = await new SignJWT({ role: ctx.role, ver: ctx.version })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(ctx.username)
    .setIssuer(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key)
  return { token, expiresAt: exp }
}

/** Checks signature, algorithm, issuer and expiry; returns the claims. Throws InvalidTokenError. */
export async function verifyToken(key: Uint8Array, token: string, now: number): Promise<AuthContext> {
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, currentDate: new Date(now), requiredClaims: ['sub', 'exp'] }))
  } catch (err) {
    throw new InvalidTokenError(err instanceof joseErrors.JWTExpired ? 'expired' : 'bad signature or format')
  }
  const { sub, role, ver } = payload
  if (typeof sub !== 'string' || !isRole(role) || typeof ver !== 'number' || !Number.isInteger(ver)) throw new InvalidTokenError('bad claims')
  return { username: sub, role, version: ver }
}

/** Parses `Authorization: Bearer <token>`; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header ?? '')
  return m?.[1]
}

/** Clamps a configured lifetime to 1..3600 s. */
export function tokenTtl(seconds: number | undefined): number {
  const ttl = seconds ?? DEFAULT_TOKEN_TTL_SECONDS
  if (!Number.isFinite(ttl) || ttl < 1) return DEFAULT_TOKEN_TTL_SECONDS
  return Math.min(Math.floor(ttl), MAX_TOKEN_TTL_SECONDS)
}
