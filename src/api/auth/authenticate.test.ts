import { describe, expect, it } from 'vitest'
import { hashPassword } from '../../chain/users/password.js'
import type { UserView } from '../../chain/view/types.js'
import { createPasswordAuthenticator } from './authenticate.js'

async function users() {
  const ivan: UserView = { username: 'ivan', role: 3, roleName: 'application', emailHash: '0x00', version: 1, email: 'ivan@example.com', passwordVerifier: await hashPassword('ivan-pw') }
  const sealed: UserView = { username: 'sealed', role: 2, roleName: 'user', emailHash: '0x00', version: 1 }
  const all = [ivan, sealed]
  return { byUsername: (u: string) => all.find((x) => x.username === u), byEmail: (e: string) => all.find((x) => x.email === e.toLowerCase()) }
}

describe('password authenticator', () => {
  it('finds users by username or e-mail and checks their password', async () => {
    const a = createPasswordAuthenticator(await users())
    expect(a.lookup('ivan')?.username).toBe('ivan')
    expect(a.lookup(' IVAN@example.com ')?.username).toBe('ivan')
    expect(await a.check(a.lookup('ivan'), 'ivan-pw')).toBe(true)
    expect(await a.check(a.lookup('ivan'), 'wrong')).toBe(false)
  })

  it('refuses unknown users and users whose verifier it cannot read, after a decoy check', async () => {
    const a = createPasswordAuthenticator(await users())
    expect(await a.check(undefined, 'ivan-pw')).toBe(false)
    expect(await a.check(a.lookup('sealed'), '')).toBe(false)
  })

  it('runs a bounded number of checks at once and refuses beyond its queue', async () => {
    const a = createPasswordAuthenticator(await users(), { concurrency: 1, maxQueued: 2 })
    const ivan = a.lookup('ivan')
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => a.check(ivan, 'ivan-pw')))
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === true)).toHaveLength(3)
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['LWC_LOGIN_BUSY', 'LWC_LOGIN_BUSY'])
    // Slots are all released: later checks run.
    expect(await a.check(ivan, 'ivan-pw')).toBe(true)
  })
})
