import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/**
 * Pids of the processes whose command line holds `args` in sequence (e.g. `--state FILE`): how the
 * embedded chain finds an anvil left running on its state file by an earlier lwchain that died
 * (kill -9 leaves the detached anvil behind). Reads /proc where there is one (Linux), else `ps`.
 * This process is never listed.
 */
export function processesWithArgs(args: readonly string[]): number[] {
  return commandLines()
    .filter(({ pid, argv }) => pid !== process.pid && containsRun(argv, args))
    .map(({ pid }) => pid)
}

function commandLines(): Array<{ pid: number; argv: string[] }> {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return psCommandLines()
  }
  const out: Array<{ pid: number; argv: string[] }> = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
      out.push({ pid: Number(entry), argv })
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out
}

// Without /proc (macOS): ps joins the arguments with spaces, so they are split again on spaces;
// a state path with a space in it is then not found. Without ps either (Windows), nothing is
// found. Either way the lock still refuses a live holder; only an orphan goes unnoticed.
function psCommandLines(): Array<{ pid: number; argv: string[] }> {
  let text: string
  try {
    text = execFileSync('ps', ['-axww', '-o', 'pid=,args='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  } catch {
    return []
  }
  return text
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), argv: m[2].split(' ') }))
}

function containsRun(argv: readonly string[], run: readonly string[]): boolean {
  for (let i = 0; i + run.length <= argv.length; i++) {
    if (run.every((a, j) => argv[i + j] === a)) return true
  }
  return false
}
