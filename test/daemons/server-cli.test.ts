/**
 * `lwchain serve server` as a process (`--store memory --clients FILE`), with libcoap's
 * coap-client as the device and /api/health over HTTP; SIGTERM stops it with exit code 0 and no
 * key ever reaches the logs.
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
const KEY = 'Srv-Cli-Key-0001'
const CLIENTS = [
  {
    endpoint: 'cli-dev',
    bootstrap: { uri: 'coaps://127.0.0.1:5784', identity: 'bs-cli-dev', key: hex('Bs-Cli-Key-00001') },
    server: { uri: 'coaps://127.0.0.1:5684', identity: 'srv-cli-dev', key: hex(KEY) },
  },
]
const CLIENT = '/usr/bin/coap-client-openssl'

describe('lwchain serve server (process)', () => {
  let dir: string
  let child: ChildProcess
  let ready: { server: string; api: string }
  let stderr = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-srv-cli-'))
    const file = join(dir, 'clients.json')
    writeFileSync(file, JSON.stringify(CLIENTS))
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', '--json', '--log-level', 'debug', '--config-dir', join(dir, 'cfg'),
        'serve', 'server', '--store', 'memory', '--clients', file, '--port', '0', '--http-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: process.cwd() },
    )
    child.stderr!.on('data', (c) => (stderr += c))
    ready = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as { server: string; api: string }))
      child.once('exit', (code) => reject(new Error(`serve server exited with ${code}: ${stderr}`)))
    })
  })

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints its CoAP and API addresses as one JSON line', () => {
    expect(ready.server).toMatch(/^coaps:\/\/127\.0\.0\.1:\d+$/)
    expect(ready.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/)
  })

  it.skipIf(!existsSync(CLIENT))('registers a libcoap client and counts it in /api/health', async () => {
    const { stdout, stderr: err } = await run(
      CLIENT,
      ['-v', '7', '-u', 'srv-cli-dev', '-k', KEY, '-m', 'post', '-t', '40', '-e', '</3/0>', `${ready.server}/rd?ep=cli-dev&lt=300&lwm2m=1.1&b=U`],
      { timeout: 25_000 },
    )
    expect(stdout + err).toMatch(/c:2\.01 .*Location-Path:rd/)
    const health = (await (await fetch(`${ready.api}/health`)).json()) as { status: string; registrations: number; chain: unknown }
    expect(health).toEqual({ status: 'ok', registrations: 1, chain: null })
  })

  it('stops on SIGTERM with exit code 0, and never logged a key', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(stderr).toContain('LwM2M server stopped')
    expect(stderr).not.toContain(KEY)
    expect(stderr).not.toContain(hex(KEY))
  })
})
