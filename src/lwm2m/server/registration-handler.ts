import { randomBytes } from 'node:crypto'
import type { Logger } from '../../logger.js'
import type { PeerAddress } from '../../transport/types.js'
import { CodecError } from '../errors.js'
import { parseRegistrationLinks, type RegistrationLinks } from '../link.js'
import type { SecurityStore } from '../security-store.js'
import { RegistrationRequestError } from './errors.js'
import { parseRegistrationParams, type RegistrationParams } from './registration-params.js'
import type { Registration, RegistrationVersion } from './registration.js'
import type { RegistrationStore } from './registration-store.js'

/** Why a registration ended. */
export type DeregistrationReason = 'deregistered' | 'expired' | 'revoked' | 'moved' | 'replaced' | 'shutdown'

/** Callbacks the handler fires (the daemon turns them into events). */
export interface RegistrationListener {
  registered?(reg: Registration): void
  updated?(reg: Registration, previous: Registration): void
  deregistered?(reg: Registration, reason: DeregistrationReason): void
}

/** The parts of a CoAP request the registration interface reads (a CoapRequest satisfies it). */
export interface RegistrationRequest {
  readonly method: string
  readonly path: readonly string[]
  readonly query: readonly string[]
  readonly payload: Uint8Array
}

/** What the handler answers (a CoapResponseInit). */
export interface RegistrationResponse {
  readonly code: string
  readonly locationPath?: readonly string[]
  readonly payload?: string
}

export interface RegistrationHandlerOptions {
  readonly security: SecurityStore
  readonly store: RegistrationStore
  readonly logger: Logger
  readonly listener?: RegistrationListener
  /** Check the DTLS identity against the endpoint's server identity; false only over plain UDP (dev). */
  readonly requireIdentity?: boolean
  /** Lifetime when the client gives none (LwM2M default 86400 s). */
  readonly defaultLifetime?: number
  readonly now?: () => number
  readonly newId?: () => string
  /** A last say on a Register that passed the identity check: a reason to refuse it (4.03), or undefined. */
  readonly admit?: (endpoint: string) => string | undefined
}

/** The registration interface of the LwM2M server (LwM2M 1.1 TS Transport §6.2 / Core §5.3). */
export interface RegistrationHandler {
  /** Answers a request whose path starts with `rd`; undefined for any other path. */
  handle(req: RegistrationRequest, ctx: { peer: PeerAddress; identity?: string }): RegistrationResponse | undefined
  /** Ends a registration from the server side (expiry, revocation, mobility) and tells the listener. */
  remove(id: string, reason: DeregistrationReason): Registration | undefined
  /** Makes the next Update of this endpoint fail with 4.04 so that the client registers or bootstraps again. */
  refuseNextUpdate(endpoint: string): void
}

const decoder = new TextDecoder('utf-8', { fatal: true })
const SUPPORTED: readonly string[] = ['1.0', '1.1', '1.2']

/**
 * Creates the registration handler: Register `POST /rd`, Update `POST /rd/{id}`, De-register
 * `DELETE /rd/{id}`. LwM2M 1.0, 1.1 and 1.2 register as what they offer; a client offering another
 * version gets 4.12 Precondition Failed (LwM2M 1.1 Core §6.2.1: "Supported LwM2M Versions of the
 * Server and the Client are not compatible"), on which clients retry with an older one.
 */
export function createRegistrationHandler(o: RegistrationHandlerOptions): RegistrationHandler {
  const now = o.now ?? Date.now
  const newId = o.newId ?? (() => randomBytes(8).toString('base64url'))
  const requireIdentity = o.requireIdentity ?? true
  const defaultLifetime = o.defaultLifetime ?? 86_400
  const refused = new Set<string>()
  const log = o.logger

  const remove = (id: string, reason: DeregistrationReason): Registration | undefined => {
    const reg = o.store.remove(id)
    if (reg) {
      log.child({ endpoint: reg.endpoint }).info({ reason, registrationId: id }, 'client deregistered')
      o.listener?.deregistered?.(reg, reason)
    }
    return reg
  }

  /** The double check: the session's PSK identity must be this endpoint's server identity. */
  const identityRefusal = (endpoint: string, identity: string | undefined): string | undefined => {
    const client = o.security.byEndpoint(endpoint)
    if (!client) return 'unknown endpoint'
    if (!requireIdentity) return undefined
    if (identity === undefined || identity !== client.server.identity) return 'PSK identity does not belong to the endpoint'
    return undefined
  }

  const register = (req: RegistrationRequest, ctx: { peer: PeerAddress; identity?: string }): RegistrationResponse => {
    const params = parseRegistrationParams(req.query)
    if (!params.endpoint) throw new RegistrationRequestError('missing endpoint name (ep)')
    const version = params.version ?? '1.0'
    if (!SUPPORTED.includes(version)) {
      log.info({ endpoint: params.endpoint, lwm2m: version }, 'registration with an unsupported LwM2M version refused (4.12)')
      return { code: '4.12', payload: 'supported LwM2M versions: 1.0, 1.1, 1.2' }
    }
    const refusal = identityRefusal(params.endpoint, ctx.identity) ?? o.admit?.(params.endpoint)
    if (refusal) {
      log.warn({ endpoint: params.endpoint, identity: ctx.identity }, `registration refused: ${refusal}`)
      return { code: '4.03' }
    }
    const links = parseLinks(req.payload)
    const at = now()
    const lifetime = params.lifetime ?? defaultLifetime
    const reg: Registration = {
      id: newId(),
      endpoint: params.endpoint,
      ...(ctx.identity !== undefined && { identity: ctx.identity }),
      peer: { address: ctx.peer.address, port: ctx.peer.port },
      lwm2mVersion: version as RegistrationVersion,
      lifetime,
      binding: params.binding ?? 'U',
      ...(params.smsNumber !== undefined && { smsNumber: params.smsNumber }),
      // 1.1 says `Q`; 1.0 put it in the binding (`b=UQ`).
      ...((params.queueMode || params.binding?.includes('Q')) && { queueMode: true }),
      rootPath: links.rootPath,
      objectLinks: links.objects,
      ...(links.contentFormats && { contentFormats: links.contentFormats }),
      registeredAt: at,
      lastUpdate: at,
      expiresAt: at + lifetime * 1000,
    }
    refused.delete(reg.endpoint)
    const replaced = o.store.byEndpoint(reg.endpoint)
    if (replaced) remove(replaced.id, 'replaced')
    o.store.add(reg)
    log.child({ endpoint: reg.endpoint }).info({ registrationId: reg.id, lwm2m: version, lifetime, binding: reg.binding }, 'client registered')
    o.listener?.registered?.(reg)
    return { code: '2.01', locationPath: ['rd', reg.id] }
  }

  const update = (reg: Registration, req: RegistrationRequest, ctx: { peer: PeerAddress; identity?: string }): RegistrationResponse => {
    const params = parseRegistrationParams(req.query)
    // The double check again: a record removed or re-keyed on chain since Register ends the registration.
    const refusal = identityRefusal(reg.endpoint, ctx.identity)
    if (refusal) {
      remove(reg.id, 'revoked')
      log.warn({ endpoint: reg.endpoint, identity: ctx.identity }, `update refused: ${refusal}`)
      return { code: '4.04' }
    }
    if (refused.delete(reg.endpoint)) {
      remove(reg.id, 'moved')
      log.child({ endpoint: reg.endpoint }).info('update refused (4.04) so that the client bootstraps again')
      return { code: '4.04' }
    }
    const links = req.payload.length > 0 ? parseLinks(req.payload) : undefined
    const at = now()
    const lifetime = params.lifetime ?? reg.lifetime
    const next: Registration = {
      ...reg,
      peer: { address: ctx.peer.address, port: ctx.peer.port },
      lifetime,
      binding: params.binding ?? reg.binding,
      ...(params.smsNumber !== undefined && { smsNumber: params.smsNumber }),
      ...(params.queueMode !== undefined && { queueMode: params.queueMode }),
      ...(params.queueMode === undefined && params.binding !== undefined && { queueMode: params.binding.includes('Q') }),
      ...(links && {
        rootPath: links.rootPath,
        objectLinks: links.objects,
        ...(links.contentFormats && { contentFormats: links.contentFormats }),
      }),
      lastUpdate: at,
      expiresAt: at + lifetime * 1000,
    }
    o.store.update(next)
    log.child({ endpoint: reg.endpoint }).debug({ registrationId: reg.id, lifetime }, 'registration updated')
    o.listener?.updated?.(next, reg)
    return { code: '2.04' }
  }

  const handle: RegistrationHandler['handle'] = (req, ctx) => {
    if (req.path[0] !== 'rd') return undefined
    try {
      if (req.path.length === 1) {
        return req.method === 'POST' ? register(req, ctx) : { code: '4.05' }
      }
      if (req.path.length !== 2) return { code: '4.04' }
      const reg = o.store.byId(req.path[1])
      if (!reg) return { code: '4.04' }
      // Only the session that registered (same identity) may update or end the registration.
      if (requireIdentity && ctx.identity !== reg.identity) {
        log.warn({ endpoint: reg.endpoint, identity: ctx.identity }, 'update/de-register from another identity refused')
        return { code: '4.03' }
      }
      if (req.method === 'POST') return update(reg, req, ctx)
      if (req.method === 'DELETE') {
        remove(reg.id, 'deregistered')
        return { code: '2.02' }
      }
      return { code: '4.05' }
    } catch (err) {
      if (err instanceof RegistrationRequestError || err instanceof CodecError) {
        log.info({ err: err.shortMessage }, 'bad registration request (4.00)')
        return { code: '4.00', payload: err.shortMessage }
      }
      throw err
    }
  }

  return {
    handle,
    remove,
    refuseNextUpdate: (endpoint) => void refused.add(endpoint),
  }
}

function parseLinks(payload: Uint8Array): RegistrationLinks {
  let text: string
  try {
    text = decoder.decode(payload)
  } catch (err) {
    throw new RegistrationRequestError('link payload is not UTF-8', err)
  }
  if (text.trim() === '') return { rootPath: '/', objects: [] }
  return parseRegistrationLinks(text)
}

export type { RegistrationParams }
