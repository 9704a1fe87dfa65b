/**
 * Measures POST /api/login latency over real HTTP (median of 20) and the scrypt verify cost alone
 * (median of 20), on a real anvil deployment. Run: npx tsx test/api/auth-measure-login.ts
 */
import { performance } from 'node:perf_hooks'
import { verifyPassword } from '../../src/chain/users/password.js'
import { listenHttp } from '../../src/daemons/http.js'
import { ACCOUNTS, givenApi } from './auth-harness.js'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

// The unknown-user probes would trip the per-address limit (20/min) of one loopback client.
const h = await givenApi({ authDeps: { rateLimit: { perAddress: 1000 } } })
try {
  const url = await listenHttp(h.app, { host: '127.0.0.1', port: 0 })
  const { username, password } = ACCOUNTS.admin
  const verifier = h.view.userByUsername(username)!.passwordVerifier!
  // Warm-up: JIT, connection, the decoy verifier.
  await verifyPassword(password, verifier)
  await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password }) })
  const login: number[] = []
  const unknown: number[] = []
  const hash: number[] = []
  for (let i = 0; i < 20; i++) {
    let t = performance.now()
    const r = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
    await r.json()
    if (r.status !== 200) throw new Error(`login failed: ${r.status}`)
    login.push(performance.now() - t)
    t = performance.now()
    const u = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `ghost${i}`, password }) })
    await u.json()
    unknown.push(performance.now() - t)
    t = performance.now()
    await verifyPassword(password, verifier)
    hash.push(performance.now() - t)
  }
  const f = (xs: number[]) => `median ${median(xs).toFixed(1)} ms (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`
  console.log(`verifier: ${verifier.split('$').slice(0, 4).join('$')}`)
  console.log(`login (HTTP, right password, n=20): ${f(login)}`)
  console.log(`login (HTTP, unknown user, n=20):   ${f(unknown)}`)
  console.log(`scrypt verify alone (n=20):         ${f(hash)}`)
} finally {
  await h.close()
}
