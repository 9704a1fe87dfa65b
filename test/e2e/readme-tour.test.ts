/**
 * The README's five-minute tour, run as written: its sh blocks are taken from README.md and run
 * in bash in a fresh directory beside a running `lwchain dev`. Only what a reader's machine
 * supplies is changed: `npx lwchain` runs the built binary, 127.0.0.1:8080 is the API's free port
 * (and `client add` gets dev's free bootstrap and server ports),
 * the long-running `simulate` goes to the background until it reports "registered", and `<id>` is
 * the id the POST printed. Every command must succeed (`set -e`); the login right after `user add`
 * is the one issue 16 fixed.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, buildIfStale, start, type Running } from '../helpers/binary.js'

/** The sh blocks of the README section "A five-minute tour", in order. */
function tourBlocks(): string[] {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8')
  const from = readme.indexOf('## A five-minute tour')
  const to = readme.indexOf('\n## ', from + 1)
  const section = readme.slice(from, to)
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

/** The tour as one bash script against dev's URLs (the README assumes dev's default ports). */
function tourScript(ready: { api: string; bootstrap: string; server: string }): string {
  const hostPort = new URL(ready.api).host
  const body = tourBlocks()
    .join('\n')
    .replaceAll('127.0.0.1:8080', hostPort)
    .replace(
      /^npx lwchain simulate (.*)$/m,
      'npx lwchain simulate $1 > simulate.log 2>&1 &\nSIM=$!\nfor i in $(seq 600); do grep -q ": registered" simulate.log && break; sleep 0.1; done\ngrep -q ": registered" simulate.log',
    )
    .replaceAll('<id>', '"$(grep -o \'"id":"[^"]*"\' curl.out | tail -1 | cut -d\'"\' -f4)"')
  return [
    'set -euo pipefail',
    // A reader's `npx lwchain` is the clone's binary.
    // A reader's `npx lwchain` is the clone's binary; `client add`'s default URIs are dev's default
    // ports, which another process may hold here: dev's actual URIs are added instead.
    `lw() { node ${JSON.stringify(BIN)} "$@"; }`,
    `npx() { if [ "$1" != lwchain ]; then command npx "$@"; elif [ "$2 $3" = "client add" ]; then shift; lw "$@" --bootstrap-uri ${ready.bootstrap} --server-uri ${ready.server}; else shift; lw "$@"; fi; }`,
    // Keep what curl printed, for `<id>` and for the test's checks.
    'curl() { command curl --fail-with-body "$@" | tee -a curl.out; echo >> curl.out; }',
    // The backgrounded `npx` is a subshell running `node … simulate`: stop the node child too, or
    // it outlives the test (seen: one simulate left running per tour run).
    'trap \'[ -n "$SIM" ] && { pkill -TERM -P "$SIM" 2>/dev/null; kill "$SIM" 2>/dev/null; }; true\' EXIT',
    'SIM=',
    body,
    'echo "TOUR-DONE"',
  ].join('\n')
}

describe('the README tour, as written', () => {
  let dir: string
  let dev: Running | undefined

  beforeAll(async () => {
    await buildIfStale()
    dir = mkdtempSync(join(tmpdir(), 'lwchain-tour-'))
  }, 600_000)
  afterAll(async () => {
    await dev?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('runs every command of the tour against `lwchain dev`, including the login right after user add', async () => {
    // `npm start` is `lwchain dev --demo 5`; one demo device is enough here, on free ports.
    dev = start(['dev', '--demo', '1', '--json', '--data-dir', join(dir, '.lwchain'), '--http-port', '0', '--rpc-port', '0', '--bootstrap-port', '0', '--server-port', '0'])
    const ready = JSON.parse(await dev.line()) as { api: string; bootstrap: string; server: string }
    writeFileSync(join(dir, 'tour.sh'), tourScript(ready))
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['tour.sh'], { cwd: dir, timeout: 240_000, env: { ...process.env, LWCHAIN_CONFIG_DIR: '' } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      )
    })
    if (out.code !== 0) throw new Error(`the tour failed (exit ${out.code}):\n${out.stdout.slice(-3000)}\n${out.stderr.slice(-3000)}`)
    expect(out.stdout).toContain('TOUR-DONE')
    const curl = readFileSync(join(dir, 'curl.out'), 'utf8')
    // The token came from the login made right after `user add`, and the temperature was read with it.
    expect(curl).toMatch(/"token":"ey/)
    expect(curl).toMatch(/"path":"\/3303\/0\/5700","code":"2\.05"/)
    expect(out.stdout).toMatch(/VALID/)
  }, 300_000)
})
