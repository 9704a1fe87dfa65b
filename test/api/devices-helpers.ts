/**
 * The REST API on a real system: a throw-away anvil, `lwchain deploy`, `serve server` as the
 * command runs it (chain store, anomaly ledger, REST API), users of every role added with
 * `user add` and logged in through POST /api/login, and simulated devices provisioned on chain.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes, type Hex } from 'viem'
import { runClientAdd, type ClientAddResult } from '../../src/commands/client/add.js'
import { runDeploy } from '../../src/commands/deploy/run.js'
import { runServeServer, type RunningServer, type ServeServerOptions } from '../../src/commands/serve/server.js'
import { runUserAdd } from '../../src/commands/user/add.js'
import { silentLogger } from '../../src/logger.js'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { handDevice, type HandDevice } from '../daemons/server-helpers.js'
import { DEVICE_TIMERS, eventually } from '../e2e/system.js'
import { startAnvil, type TestAnvil } from '../helpers/anvil.js'

export type RoleName = 'admin' | 'user' | 'application'
export const ROLES: readonly RoleName[] = ['admin', 'user', 'application']

export interface ApiSystem {
  anvil: TestAnvil
  server: RunningServer
  /** `http://127.0.0.1:port` (routes start with /api). */
  base: string
  cmd: { configDir: string; rpc: string }
  /** A fresh token per role (logged in through the API). */
  tokens: Record<RoleName, string>
  /** Provisions a device on chain and waits until the server's view has it. */
  provision(endpoint: string): Promise<ClientAddResult>
  /** Provisions and starts a simulated device registered at the server. */
  device(endpoint: string, temperature?: number): Promise<Device>
  /** A provisioned device that registers and then never answers a request. */
  silentDevice(endpoint: string): Promise<HandDevice>
  /** fetch against the API with a role's token (or none). */
  call(method: string, path: string, o?: { role?: RoleName; token?: string; body?: unknown; text?: string; headers?: Record<string, string> }): Promise<Response>
  stop(): Promise<void>
}

/** Starts the whole thing; `extra` goes to runServeServer (rules, timeouts). */
export async function givenApiSystem(extra: Partial<ServeServerOptions> = {}): Promise<ApiSystem> {
  delete process.env.LWCHAIN_PRIVATE_KEY
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-api-'))
  const anvil = await startAnvil()
  const cmd = { configDir: join(dir, 'cfg'), rpc: anvil.rpcUrl }
  const devices: Device[] = []
  const hands: HandDevice[] = []
  let server: RunningServer | undefined
  try {
    await runDeploy(cmd)
    const passwords: Record<RoleName, string> = { admin: 'admin-pass-1234', user: 'user-pass-1234', application: 'app-pass-1234' }
    for (const role of ROLES) await runUserAdd(cmd, { username: `${role}1`, email: `${role}1@example.com`, role, password: passwords[role] })
    server = await runServeServer({
      ...cmd,
      port: 0,
      httpPort: 0,
      pollIntervalMs: 100,
      coapTimers: { ackTimeoutMs: 500, maxRetransmit: 2, responseTimeoutMs: 5_000 },
      ledger: { batchIntervalMs: 200, pollIntervalMs: 200 },
      logger: silentLogger(),
      ...extra,
    })
    const running = server
    await eventually(() => ROLES.every((r) => running.view!.userByUsername(`${r}1`) !== undefined))
    const base = running.api.replace(/\/api$/, '')
    const tokens = {} as Record<RoleName, string>
    for (const role of ROLES) {
      const res = await fetch(`${base}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `${role}1`, password: passwords[role] }),
      })
      if (res.status !== 200) throw new Error(`login of ${role}1 answered ${res.status}: ${await res.text()}`)
      tokens[role] = ((await res.json()) as { token: string }).token
    }
    const provision = async (endpoint: string) => {
      const { result } = await runClientAdd(cmd, { endpoint, bootstrapUri: 'coaps://127.0.0.1:5784', serverUri: running.url })
      await eventually(() => running.view!.clientByEndpoint(endpoint) !== undefined)
      return result
    }
    return {
      anvil,
      server: running,
      base,
      cmd,
      tokens,
      provision,
      async device(endpoint, temperature) {
        const added = await provision(endpoint)
        const d = createDevice({
          endpoint,
          server: { uri: added.server.uri, identity: added.server.identity, key: hexToBytes(`0x${added.server.key}` as Hex) },
          timers: DEVICE_TIMERS,
          ...(temperature !== undefined && { temperature }),
        })
        devices.push(d)
        await d.start()
        await eventually(() => running.daemon.registrations.byEndpoint(endpoint) !== undefined)
        return d
      },
      async silentDevice(endpoint) {
        const added = await provision(endpoint)
        const d = await handDevice(running.address, added.server.identity, hexToBytes(`0x${added.server.key}` as Hex))
        hands.push(d)
        const reg = await d.register([`ep=${endpoint}`, 'lt=300', 'lwm2m=1.1', 'b=U'])
        if (reg.code !== '2.01') throw new Error(`silent device registration answered ${reg.code}`)
        // From now on it takes every request and never answers.
        d.coap.onRequest(() => new Promise(() => {}))
        return d
      },
      call(method, path, o = {}) {
        const token = o.token ?? (o.role ? tokens[o.role] : undefined)
        const headers: Record<string, string> = { ...o.headers }
        if (token) headers.authorization = `Bearer ${token}`
        let body: string | undefined
        if (o.body !== undefined) {
          headers['content-type'] = 'application/json'
          body = JSON.stringify(o.body)
        } else if (o.text !== undefined) {
          headers['content-type'] = 'text/plain'
          body = o.text
        }
        return fetch(`${base}${path}`, { method, headers, ...(body !== undefined && { body }) })
      },
      async stop() {
        await Promise.allSettled(devices.map((d) => d.stop()))
        await Promise.allSettled(hands.map((d) => d.stop()))
        await running.stop()
        await anvil.stop()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await server?.stop().catch(() => {})
    await anvil.stop()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

/** A Server-Sent Events reader over fetch: yields parsed events as they arrive. */
export interface SseReader {
  status: number
  /** Resolves with the first event (from now or already buffered) matching `match`. */
  next(match: (e: SseEvent) => boolean): Promise<SseEvent>
  /** Every event received so far. */
  received: SseEvent[]
  /** Resolves when the server ended the stream (or it was closed here). */
  ended: Promise<void>
  close(): void
}

export interface SseEvent {
  event: string
  data: Record<string, unknown>
}

/** Opens GET /api/events with the query given; the token may travel in the query. */
export async function openEvents(base: string, query: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController()
  const res = await fetch(`${base}/api/events${query}`, { headers, signal: abort.signal })
  const received: SseEvent[] = []
  const waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; from: number }> = []
  let markEnded!: () => void
  const ended = new Promise<void>((r) => (markEnded = r))
  const reader: SseReader = {
    ended,
    status: res.status,
    received,
    next(match) {
      const found = received.find(match)
      if (found) return Promise.resolve(found)
      return new Promise((resolve) => waiters.push({ match, resolve, from: received.length }))
    },
    close: () => abort.abort(),
  }
  if (res.status !== 200 || !res.body) {
    markEnded()
    return reader
  }
  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let cut: number
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (data.length === 0) continue
          const e = { event, data: JSON.parse(data.join('\n')) as Record<string, unknown> }
          received.push(e)
          for (const w of [...waiters]) {
            if (w.match(e)) {
              waiters.splice(waiters.indexOf(w), 1)
              w.resolve(e)
            }
          }
        }
      }
    } catch {
      // aborted
    }
    markEnded()
  })()
  return reader
}

export { eventually }
