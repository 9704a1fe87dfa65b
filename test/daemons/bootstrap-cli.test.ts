/**
 * `lwchain serve bootstrap` as a process (`--store memory --clients FILE`), with libcoap's
 * coap-client as the device: the right identity gets 2.04, another endpoint's identity 4.03;
 * SIGTERM stops it with exit code 0.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const hex = (s: string) => Buffer.from(s).toString('hex')
// libcoap 4.3 takes PSKs as ASCII: printable keys.
const CLIENTS = [
  { endpoint: 'lib-dev', identity: 'bs-lib', key: 'Lib-Bs-Key-00001' },
  { endpoint: 'other-dev', identity: 'bs-other', key: 'Other-Bs-Key-001' },
].map((c) => ({
  endpoint: c.endpoint,
  bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: c.identity, key: hex(c.key) },
  server: { uri: 'coaps://127.0.0.1:5684', identity: `srv-${c.endpoint}`, key: hex(`Srv-Key-${c.endpoint}`.padEnd(16, '0')) },
  _key: c.key,
}))

describe('lwchain serve bootstrap (process)', () => {
  let dir: string
  let child: ChildProcess
  let url: string
  let stderr = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-bs-cli-'))
    const file = join(dir, 'clients.json')
    writeFileSync(file, JSON.stringify(CLIENTS.map(({ _key, ...c }) => c)))
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', '--json', '--log-level', 'info', '--config-dir', join(dir, 'cfg'),
        'serve', 'bootstrap', '--store', 'memory', '--clients', file, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd() },
    )
    child.stderr!.on('data', (c) => (stderr += c))
    url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { bootstrap: string }).bootstrap))
      child.once('exit', (code) => reject(new Error(`serve bootstrap exited with ${code}: ${stderr}`)))
    })
  })

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints its address as JSON', () => {
    expect(url).toMatch(/^coaps:\/\/127\.0\.0\.1:\d+$/)
  })

  describe.skipIf(!existsSync('/usr/bin/coap-client-openssl'))('with coap-client-openssl', () => {
    const post = async (identity: string, key: string, endpoint: string) => {
      const r = await run('coap-client-openssl', ['-v', '6', '-u', identity, '-k', key, '-m', 'post', `${url}/bs?ep=${endpoint}`], { timeout: 20_000 })
      // The response line as libcoap logs it: "v:1 t:ACK c:2.04 ...".
      return /t:ACK c:(\d\.\d\d)/.exec(r.stdout + r.stderr)?.[1]
    }

    it('gets 2.04 for POST /bs with its own bootstrap identity', async () => {
      expect(await post('bs-lib', CLIENTS[0]._key, 'lib-dev')).toBe('2.04')
    })

    it("gets 4.03 with another endpoint's identity, and the refusal is logged", async () => {
      expect(await post('bs-other', CLIENTS[1]._key, 'lib-dev')).toBe('4.03')
      const refused = /"endpoint":"lib-dev","identity":"bs-other".*"outcome":"unauthorized"/
      for (const deadline = Date.now() + 10_000; !refused.test(stderr) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20))
      expect(stderr).toMatch(/"endpoint":"lib-dev","identity":"bs-other".*"outcome":"unauthorized"/)
      expect(stderr).not.toContain(CLIENTS[1]._key)
      expect(stderr).not.toContain(CLIENTS[1].bootstrap.key)
    })
  })

  it('stops in order on SIGTERM and exits 0', async () => {
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c))
      child.kill('SIGTERM')
    })
    expect(code).toBe(0)
    expect(stderr).toContain('bootstrap server stopped')
  })
})
