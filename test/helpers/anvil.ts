import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Hex } from 'viem'

/**
 * A throw-away anvil for tests: the binary of the `@foundry-rs/anvil` platform package, on
 * 127.0.0.1 with a free port, in memory. Every test file that needs a chain starts its own and
 * stops it in afterAll.
 */

/** Anvil's well-known dev accounts (public test mnemonic); account 0 deploys, account 9 is a stranger. */
export const ANVIL_KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
]
/** Private key of anvil account 0, the deployer (holds every role). */
export const DEPLOYER_KEY: Hex = ANVIL_KEYS[0]
/** Private key of anvil account 9, which tests never grant a role. */
export const STRANGER_KEY: Hex = ANVIL_KEYS[9]

/** Options of a test anvil. */
export interface StartAnvilOptions {
  /** Extra command-line arguments, e.g. ['--block-time', '1']. */
  args?: string[]
  /** How long to wait for the node to answer, in ms. Default 20 s. */
  timeoutMs?: number
}

/** A running test anvil. */
export interface TestAnvil {
  rpcUrl: string
  port: number
  stop(): Promise<void>
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' }

/** Path of the anvil binary shipped for this platform (falls back to node_modules/.bin/anvil). */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url)
  const pkg = `@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}`
  try {
    const bin = join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'anvil')
    if (existsSync(bin)) return bin
  } catch {
    // try the wrapper below
  }
  return join(process.cwd(), 'node_modules', '.bin', 'anvil')
}

/** Starts anvil on 127.0.0.1 and a free port; resolves once it answers eth_chainId. */
export async function startAnvil(opts: StartAnvilOptions = {}): Promise<TestAnvil> {
  // --prune-history: 256 recent states in memory (a geth full node serves 128), none paged out to
  // ~/.foundry/anvil/tmp, which only an anvil that exits normally cleans up (it grew to 78 GB
  // over a day of suite and bench runs here).
  const child = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', '0', '--prune-history', '256', ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((res) => child.once('exit', () => res()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  try {
    const port = await listeningPort(child, opts.timeoutMs ?? 20_000)
    const rpcUrl = `http://127.0.0.1:${port}`
    await waitForRpc(rpcUrl, opts.timeoutMs ?? 20_000)
    return { rpcUrl, port, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((res, rej) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => rej(new Error(`anvil did not start within ${timeoutMs} ms: ${err}`)), timeoutMs)
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /Listening on [^\s]*:(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        out = '' // keep draining stdout so anvil never blocks on a full pipe
        res(Number(m[1]))
      } else if (out.length > 100_000) out = out.slice(-1000)
    })
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)))
    child.once('error', (e) => {
      clearTimeout(timer)
      rej(e)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`anvil exited with code ${code}: ${err.trim()}`))
    })
  })
}

/** One raw JSON-RPC call to a test node (anvil_* and evm_* have no viem action); the node's error throws. */
export async function rpcCall(rpcUrl: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  const body = (await res.json()) as { result?: unknown; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result
}

/** Resolves once the node at `rpcUrl` answers eth_chainId; throws after `timeoutMs`. */
export async function waitForRpc(rpcUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const r = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      })
      if (r.ok && ((await r.json()) as { result?: string }).result) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`anvil at ${rpcUrl} did not answer eth_chainId`)
    await new Promise((res) => setTimeout(res, 50))
  }
}
