import type { Logger } from '../../logger.js'
import { peerKey, type PeerAddress } from '../../transport/types.js'
import { ContentFormat } from '../content-format.js'
import { endpointNameProblem } from '../endpoint-name.js'
import type { ClientSecurity, SecurityStore } from '../security-store.js'
import type { BootstrapConfig } from './config.js'
import { BootstrapSessionError, type BootstrapFailureReason } from './errors.js'
import { bootstrapWriteFormat } from './format.js'
import { BSPACK_FORMATS, bootstrapPack } from './pack.js'
import { runBootstrapSession, type BootstrapSender, type BootstrapSessionResult } from './session.js'

/** The parts of a CoAP request the handler reads (a transport CoapRequest satisfies it). */
export interface BootstrapInbound {
  readonly method: string
  readonly path: readonly string[]
  readonly query: readonly string[]
  /** Accept option (the format a Bootstrap-Pack is asked in). */
  readonly accept?: number
}

/** Who sent it: the peer and, over DTLS, the authenticated PSK identity. */
export interface BootstrapInboundContext {
  readonly peer: PeerAddress
  readonly identity?: string
}

/** The answer (a transport CoapResponseInit). */
export interface BootstrapReply {
  readonly code: string
  readonly payload?: string | Uint8Array
  readonly contentFormat?: number
}

/** Counters of a bootstrap server, by session outcome. */
export interface BootstrapStats {
  /** POST /bs accepted (2.04) and a session started. */
  authorized: number
  /** POST /bs refused with 4.03: unknown endpoint or identity of another endpoint. */
  unauthorized: number
  /** Sessions that ended with a successful Bootstrap-Finish. */
  finished: number
  /** Sessions that ended otherwise (refused step, no answer, timeout, replaced, revoked, shutdown). */
  failed: number
  /** Malformed requests (4.00), other paths and methods (4.04/4.05), unsupported pack formats (4.06). */
  badRequests: number
  /** Bootstrap-Packs served (GET /bspack answered 2.05). */
  packsServed: number
  /** Sessions running now. */
  active: number
}

/** How one session ended, for logs, tests and benchmarks. */
export type BootstrapOutcome =
  | { readonly endpoint: string; readonly result: 'finished'; readonly durationMs: number; readonly session: BootstrapSessionResult }
  | { readonly endpoint: string; readonly result: 'failed'; readonly durationMs: number; readonly reason: BootstrapFailureReason; readonly step?: string }

/** The bootstrap server's protocol logic behind its CoAP endpoint. */
export interface BootstrapHandler {
  /** Answers one request: POST /bs starts a session (after the 2.04 goes out), GET /bspack answers the pack. */
  handle(req: BootstrapInbound, ctx: BootstrapInboundContext): BootstrapReply
  /** Ends the running session of an endpoint (revocation); false when it has none. */
  abort(endpoint: string, reason: BootstrapFailureReason): boolean
  /** Endpoints with a session running. */
  activeEndpoints(): string[]
  /** Called once per session with its outcome. */
  onOutcome(listener: (outcome: BootstrapOutcome) => void): () => void
  stats(): BootstrapStats
  /** Ends every session ('shutdown'); later POST /bs get 5.03. */
  close(): void
}

/** Options of createBootstrapHandler. */
export interface BootstrapHandlerOptions {
  readonly security: SecurityStore
  readonly sender: BootstrapSender
  readonly config: BootstrapConfig
  readonly logger: Logger
}

interface RunningSession {
  readonly controller: AbortController
  readonly peer: PeerAddress
}

/**
 * Creates the bootstrap handler: checks that the DTLS identity of `POST /bs?ep=NAME` is NAME's
 * bootstrap identity in the SecurityStore (the paper's double check: the DTLS layer proved the
 * key, this proves the key belongs to NAME), answers 2.04 and runs one session per endpoint, a
 * newer request replacing an older session. `GET /bspack?ep=NAME` (LwM2M 1.2 Bootstrap-Pack) passes
 * the same check and answers the same Security and Server instances in one SenML CBOR or JSON
 * pack, as the Accept option asks (CBOR when absent; 4.06 for anything else).
 */
export function createBootstrapHandler(o: BootstrapHandlerOptions): BootstrapHandler {
  const { security, sender, config, logger } = o
  const sessions = new Map<string, RunningSession>()
  const listeners = new Set<(outcome: BootstrapOutcome) => void>()
  const stats: BootstrapStats = { authorized: 0, unauthorized: 0, finished: 0, failed: 0, badRequests: 0, packsServed: 0, active: 0 }
  let closed = false

  const bad = (code: string, payload?: string): BootstrapReply => {
    stats.badRequests++
    return payload === undefined ? { code } : { code, payload }
  }

  const forbid = (endpoint: string, identity: string | undefined, peer: PeerAddress, why: string): BootstrapReply => {
    stats.unauthorized++
    logger.warn({ endpoint, identity, peer: peerKey(peer), outcome: 'unauthorized' }, `bootstrap refused: ${why}`)
    return { code: '4.03' }
  }

  const start = (endpoint: string, peer: PeerAddress, format: number): void => {
    const log = logger.child({ endpoint })
    const client = security.byEndpoint(endpoint)
    const previous = sessions.get(endpoint)
    if (previous) previous.controller.abort('replaced')
    const controller = new AbortController()
    const running: RunningSession = { controller, peer }
    sessions.set(endpoint, running)
    stats.active = sessions.size
    const startedAt = performance.now()
    let settled = false

    const settle = (outcome: BootstrapOutcome): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (sessions.get(endpoint) === running) sessions.delete(endpoint)
      stats.active = sessions.size
      if (outcome.result === 'finished') {
        stats.finished++
        log.info({ outcome: 'finished', durationMs: round(outcome.durationMs), securityInstance: outcome.session.securityInstanceId, format: outcome.session.format }, 'bootstrap finished')
      } else {
        stats.failed++
        log.warn({ outcome: 'failed', reason: outcome.reason, step: outcome.step, durationMs: round(outcome.durationMs) }, 'bootstrap failed')
      }
      for (const l of listeners) {
        try {
          l(outcome)
        } catch (err) {
          log.error({ err }, 'bootstrap outcome listener threw')
        }
      }
    }
    const fail = (reason: BootstrapFailureReason, step?: string): void =>
      settle({ endpoint, result: 'failed', reason, durationMs: performance.now() - startedAt, ...(step !== undefined && { step }) })

    const timer = setTimeout(() => controller.abort('timeout'), config.sessionTimeoutMs)
    timer.unref?.()
    // Aborts settle at once: a request in flight cannot be recalled, its answer is ignored.
    controller.signal.addEventListener('abort', () => fail(controller.signal.reason as BootstrapFailureReason), { once: true })

    const serverKey = client?.server.key
    if (!client || !serverKey) return fail('no-credentials') // checked by handle(); the record changed since
    // After the 2.04 went out: the endpoint sends a synchronous answer before this runs.
    setImmediate(() => {
      if (controller.signal.aborted) return
      runBootstrapSession({ sender, peer, client, serverKey, format, config, logger: log, signal: controller.signal }).then(
        (session) => settle({ endpoint, result: 'finished', durationMs: performance.now() - startedAt, session }),
        (err: unknown) => {
          if (err instanceof BootstrapSessionError) {
            log.debug({ err: err.shortMessage, cause: (err.cause as Error | undefined)?.message }, 'bootstrap step failed')
            fail(err.reason, err.step)
          } else {
            log.error({ err }, 'bootstrap session crashed')
            fail('internal')
          }
        },
      )
    })
  }

  /** The endpoint's record when the session's identity may bootstrap it, else the refusal. */
  const authorize = (endpoint: string, ctx: BootstrapInboundContext): { client: ClientSecurity; serverKey: Uint8Array } | BootstrapReply => {
    const client = security.byEndpoint(endpoint)
    if (!client) return forbid(endpoint, ctx.identity, ctx.peer, 'unknown endpoint')
    if (config.requireIdentity || ctx.identity !== undefined) {
      if (ctx.identity !== client.bootstrap.identity) {
        return forbid(endpoint, ctx.identity, ctx.peer, "the DTLS identity is not this endpoint's bootstrap identity")
      }
    }
    if (!client.server.key) {
      stats.failed++
      logger.error({ endpoint, outcome: 'failed', reason: 'no-credentials' }, 'bootstrap impossible: the record carries no server key (is the sealing key loaded?)')
      return { code: '5.03' }
    }
    return { client, serverKey: client.server.key }
  }

  const pack = (req: BootstrapInbound, ctx: BootstrapInboundContext): BootstrapReply => {
    if (req.method !== 'GET') return bad('4.05')
    if (closed) return { code: '5.03' }
    const endpoint = parseQuery(req.query).get('ep')
    if (!endpoint) return bad('4.00', 'missing ep')
    const format = req.accept ?? ContentFormat.SENML_CBOR
    if (!BSPACK_FORMATS.includes(format)) return bad('4.06', 'a Bootstrap-Pack comes in SenML CBOR (112) or SenML JSON (110)')
    const auth = authorize(endpoint, ctx)
    if ('code' in auth) return auth
    stats.packsServed++
    logger.info({ endpoint, identity: ctx.identity, peer: peerKey(ctx.peer), format, outcome: 'pack' }, 'bootstrap pack served')
    return { code: '2.05', contentFormat: format, payload: bootstrapPack(auth.client, auth.serverKey, config, format) }
  }

  return {
    handle(req, ctx) {
      const path = req.path.join('/')
      if (path === 'bspack') return pack(req, ctx)
      if (path !== 'bs') return bad('4.04')
      if (req.method !== 'POST') return bad('4.05')
      if (closed) return { code: '5.03' }
      const query = parseQuery(req.query)
      const endpoint = query.get('ep')
      if (endpoint === undefined) return bad('4.00', 'missing ep')
      const nameProblem = endpointNameProblem(endpoint)
      if (nameProblem !== undefined) return bad('4.00', `endpoint name ${nameProblem}`)
      const pctText = query.get('pct')
      let pct: number | undefined
      if (pctText !== undefined) {
        if (!/^\d{1,5}$/.test(pctText)) return bad('4.00', 'invalid pct')
        pct = Number(pctText)
      }
      const format = bootstrapWriteFormat(pct)
      if (format === undefined) return bad('4.00', `unsupported pct ${pct}`)

      const auth = authorize(endpoint, ctx)
      if ('code' in auth) return auth
      stats.authorized++
      logger.info({ endpoint, identity: ctx.identity, peer: peerKey(ctx.peer), format, outcome: 'authorized' }, 'bootstrap request')
      start(endpoint, ctx.peer, format)
      return { code: '2.04' }
    },
    abort(endpoint, reason) {
      const s = sessions.get(endpoint)
      if (!s) return false
      s.controller.abort(reason)
      return true
    },
    activeEndpoints: () => [...sessions.keys()],
    onOutcome(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    stats: () => ({ ...stats }),
    close() {
      closed = true
      for (const s of [...sessions.values()]) s.controller.abort('shutdown')
    },
  }
}

/** `key=value` query strings by key (first wins; a bare `key` is the empty string). */
function parseQuery(query: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const q of query) {
    const i = q.indexOf('=')
    const key = i < 0 ? q : q.slice(0, i)
    if (!out.has(key)) out.set(key, i < 0 ? '' : q.slice(i + 1))
  }
  return out
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
