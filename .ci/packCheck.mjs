// `npm pack`, then `npm i -g` of the tarball into a temporary prefix, then `lwchain dev --demo 1
// --json` from that install in an empty directory: it must print its ready line and stop cleanly
// on SIGTERM. This is what a user who installs the package gets.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const work = mkdtempSync(join(tmpdir(), 'lwchain-pack-'))
const fail = (msg) => {
  console.error(`pack check: ${msg}`)
  rmSync(work, { recursive: true, force: true })
  process.exit(1)
}
try {
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { encoding: 'utf8' }).trim().split('\n').at(-1)
  const prefix = join(work, 'prefix')
  const out = execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(work, tarball)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (/EBADENGINE/.test(out)) fail('npm printed EBADENGINE')
  const empty = join(work, 'empty')
  execFileSync('mkdir', ['-p', empty])
  const child = spawn(join(prefix, 'bin', 'lwchain'), ['dev', '--demo', '1', '--json', '--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0'], { cwd: empty, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c) => (stderr += c))
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  const ready = await new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        const j = JSON.parse(l)
        if (j.api) resolve(j)
      } catch {}
    })
    void exited.then(() => resolve(undefined))
  })
  if (!ready) fail(`lwchain dev exited before its ready line:\n${stderr.slice(-2000)}`)
  const health = await fetch(`${ready.api}/health`).then((r) => r.status).catch(() => 0)
  // An admin import seals in the daemon's worker pool: its worker file must be in the package.
  const imported = await adminImport(ready).catch((err) => `failed: ${err.message}`)
  child.kill('SIGTERM')
  const code = await exited
  clearTimeout(timer)
  if (health !== 200) fail(`GET ${ready.api}/health answered ${health}`)
  if (imported !== 'landed 3') fail(`POST ${ready.api}/admin/clients/import: ${imported}:\n${stderr.slice(-2000)}`)
  if (code !== 0) fail(`lwchain dev exited with ${code} on SIGTERM:\n${stderr.slice(-2000)}`)
  console.log(`pack check: installed ${tarball}, dev came up at ${ready.api}, sealed an admin import in its worker pool and stopped cleanly`)
  rmSync(work, { recursive: true, force: true })
} catch (err) {
  fail(err.message)
}

/** Logs in as the dev admin of the ready line and imports 3 devices; "landed 3" when all landed. */
async function adminImport(ready) {
  const json = { 'content-type': 'application/json' }
  const login = await fetch(`${ready.api}/login`, { method: 'POST', headers: json, body: JSON.stringify(ready.admin) })
  if (login.status !== 200) return `login answered ${login.status}`
  const { token } = await login.json()
  const rows = [1, 2, 3].map((i) => ({ endpoint: `pack-check-${i}` }))
  const r = await fetch(`${ready.api}/admin/clients/import`, { method: 'POST', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify({ rows }) })
  if (r.status !== 200) return `answered ${r.status} ${await r.text()}`
  return `landed ${(await r.json()).landed}`
}
