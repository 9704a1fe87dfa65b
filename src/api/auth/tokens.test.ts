import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { bearerToken, issueToken, tokenTtl, verifyToken } from './tokens.js'

const key = Uint8Array.from(randomBytes(32))
const ctx = { username: 'alice', role: 'admin' as const, version: 3 }

describe('tokens', () => {
  it('round-trips the caller with sub, role and ver claims', async () => {
    const now = Date.now()
    const { token, expiresAt } = await issueToken(key, ctx, { ttlSeconds: 900, now })
    expect(expiresAt).toBe(Math.floor(now / 1000) + 900)
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())
    expect(payload).toMatchObject({ sub: 'alice', role: 'admin', ver: 3, iss: 'lwchain' })
    expect(await verifyToken(key, token, now)).toEqual(ctx)
  })

  it('refuses an expired token', async () => {
    const now = Date.now()
    const { token } = await issueToken(key, ctx, { ttlSeconds: 60, now })
    await expect(verifyToken(key, token, now + 61_000)).rejects.toMatchObject({ code: 'LWC_INVALID_TOKEN', shortMessage: 'invalid token: expired' })
  })

  it('refuses a token signed with another key, alg none, or altered claims', async () => {
    const now = Date.now()
    const { token: forged } = await issueToken(Uint8Array.from(randomBytes(32)), ctx, { ttlSeconds: 60, now })
    await expect(verifyToken(key, forged, now)).rejects.toMatchObject({ code: 'LWC_INVALID_TOKEN' })
    const { token } = await issueToken(key, { ...ctx, role: 'user' }, { ttlSeconds: 60, now })
    const [h, , s] = token.split('.')
    const raised = Buffer.from(JSON.stringify({ sub: 'alice', role: 'admin', ver: 3, iss: 'lwchain', exp: Math.floor(now / 1000) + 60 })).toString('base64url')
    await expect(verifyToken(key, `${h}.${raised}.${s}`, now)).rejects.toMatchObject({ code: 'LWC_INVALID_TOKEN' })
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${raised}.`
    await expect(verifyToken(key, none, now)).rejects.toMatchObject({ code: 'LWC_INVALID_TOKEN' })
  })

  it('refuses a validly signed token with an unknown role', async () => {
    const t = await new SignJWT({ role: 'root', ver: 1 }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('lwchain').setExpirationTime('1m').sign(key)
    await expect(verifyToken(key, t, Date.now())).rejects.toMatchObject({ shortMessage: 'invalid token: bad claims' })
  })

  it('parses bearer headers and clamps lifetimes to one hour', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(bearerToken('bearer abc')).toBe('abc')
    expect(bearerToken('Basic abc')).toBeUndefined()
    expect(bearerToken(undefined)).toBeUndefined()
    expect(tokenTtl(undefined)).toBe(900)
    expect(tokenTtl(86_400)).toBe(3600)
    expect(tokenTtl(-5)).toBe(900)
  })
})
