/**
 * DESIGN.md's exit-code contract, over every command of the built binary: 2 for a usage error
 * (unknown option, missing or malformed argument or option value), 1 for a failure, 0 for
 * success; and always one clear line on stderr, never a stack trace.
 *
 * Usage errors must be found before any I/O, so these run against an empty config dir and a
 * chain that is not there: a command that reached for the chain first would exit 1, not 2.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildIfStale, run, type Run } from '../helpers/binary.js'

/** Nothing listens on port 1 of loopback: every chain call fails at once. */
const NO_CHAIN = 'http://127.0.0.1:1'

const usage: string[][] = [
  ['--rpc', 'not-a-url', 'client', 'list'],
  ['--log-level', 'loud', 'client', 'list'],
  ['frobnicate'],
  ['chain', 'start', '--port', 'abc'],
  ['chain', 'start', '--bogus'],
  ['deploy', '--bogus'],
  ['client', 'add'],
  ['client', 'add', 'x', '--server-key', 'zz'],
  ['client', 'add', 'x', '--bs-key', '123'],
  ['client', 'add', 'x', '--server-uri', 'not a uri'],
  ['client', 'import'],
  ['client', 'import', 'rows.csv', '--batch-size', '0'],
  ['client', 'remove'],
  ['client', 'move', 'x'],
  ['client', 'show'],
  ['client', 'list', '--bogus'],
  ['user', 'add', 'u'],
  ['user', 'add', 'u', '--email', 'u@example.com', '--role', 'wizard'],
  ['user', 'update', 'u'],
  ['user', 'remove'],
  ['user', 'show'],
  ['anomaly', 'post'],
  ['anomaly', 'post', '--endpoint', 'e', '--severity', 'huge', '--type', 't', '--message', 'm'],
  ['anomaly', 'list', '--limit', '0'],
  ['anomaly', 'list', '--limit', 'ten'],
  ['anomaly', 'list', '--from', 'yesterday'],
  ['anomaly', 'verify'],
  ['serve', 'bootstrap', '--port', '99999'],
  ['serve', 'server', '--port', 'x'],
  ['serve', 'server', '--http-port', '-1'],
  ['serve', 'server', '--observe', '/3303/x/5700'],
  ['serve', 'server', '--observe', '/'],
  ['serve', 'server', '--observe-attributes', 'pmin=soon'],
  ['simulate', '--count', '0'],
  ['dev', '--demo', '-1'],
  ['decode', 'tlv', 'zz'],
  ['decode', 'nosuch', '00'],
  ['encode', 'tlv', '{not json'],
  ['role', 'grant'],
  ['role', 'grant', 'wizard', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'],
  ['role', 'grant', 'admin', 'nothex'],
  ['role', 'revoke', 'poster'],
  ['keys', 'rotate', '--batch-size', '0'],
  ['user', 'migrate-emails', '--bogus'],
]

const failure: string[][] = [
  ['client', 'list'],
  ['client', 'show', 'x'],
  ['client', 'remove', 'x'],
  ['client', 'import', '/nonexistent/rows.csv'],
  ['user', 'list'],
  ['user', 'show', 'u'],
  ['anomaly', 'list'],
  ['anomaly', 'verify', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
  ['--rpc', NO_CHAIN, 'deploy'],
  ['role', 'list'],
  ['keys', 'rotate'],
  ['user', 'migrate-emails'],
]

const success: string[][] = [
  ['--help'],
  ['--version'],
  ...['chain', 'deploy', 'client', 'user', 'anomaly', 'role', 'keys', 'serve', 'simulate', 'dev', 'decode', 'encode'].map((c) => [c, '--help']),
  ['client', 'add', '--help'],
  ['decode', 'text', '3432', '--path', '/3303/0/5700'],
  ['encode', 'text', '{"/3/0/0":"x"}', '--path', '/3/0/0'],
]

describe('exit codes of every command', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-exit-'))
    writeFileSync(join(dir, 'rows.csv'), 'endpoint\nx\n')
    env = { LWCHAIN_CONFIG_DIR: join(dir, 'empty-config'), LWCHAIN_RPC_URL: NO_CHAIN }
  }, 300_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** Runs the cases a few at a time (each is a Node start-up). */
  async function runAll(cases: string[][]): Promise<Run[]> {
    const out: Run[] = []
    for (let i = 0; i < cases.length; i += 4) out.push(...(await Promise.all(cases.slice(i, i + 4).map((args) => run(args, { env: { ...env, PWD: dir } })))))
    return out
  }

  function expectOneLine(r: Run, args: string[]): void {
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines, `lwchain ${args.join(' ')}: ${r.stderr}`).toHaveLength(1)
    expect(lines[0], `lwchain ${args.join(' ')}`).toMatch(/^error: /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  }

  /** Runs `cases`, expects `code` from each, and one `error:` line on stderr unless it succeeded. */
  async function expectExit(cases: string[][], code: number): Promise<void> {
    const results = await runAll(cases)
    const wrong = results.map((r, i) => ({ args: cases[i]!.join(' '), code: r.code, stderr: r.stderr.trim() })).filter((r) => r.code !== code)
    expect(wrong).toEqual([])
    if (code !== 0) results.forEach((r, i) => expectOneLine(r, cases[i]!))
  }

  it('exits 2 with one line for every usage error', () => expectExit(usage, 2), 180_000)
  it('exits 1 with one line for every failure', () => expectExit(failure, 1), 180_000)
  it('exits 0 on success', () => expectExit(success, 0), 180_000)
})
