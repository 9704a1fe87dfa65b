import type { Logger } from '../../logger.js'
import type { PeerAddress } from '../../transport/types.js'
import { formatPath, type LwM2mPath } from '../path.js'
import { RequestFailedError, RequestTimeoutError } from '../request/errors.js'
import type { LwM2mRequest, LwM2mResponse } from '../request/types.js'
import type { ClientSecurity } from '../security-store.js'
import type { BootstrapConfig } from './config.js'
import { BootstrapSessionError, type BootstrapFailureReason } from './errors.js'
import { securityInstance, serverInstance } from './instances.js'

/** What a session needs to talk to the device (the request layer's sender satisfies it). */
export interface BootstrapSender {
  send(target: { peer: PeerAddress; endpoint?: string }, request: LwM2mRequest, opts?: { timeoutMs?: number }): Promise<LwM2mResponse>
}

/** Everything one bootstrap session works with. */
export interface BootstrapSessionInput {
  readonly sender: BootstrapSender
  readonly peer: PeerAddress
  readonly client: ClientSecurity
  /** The server-side PSK to provision (the record's server key). */
  readonly serverKey: Uint8Array
  /** Content format of the Bootstrap-Writes. */
  readonly format: number
  readonly config: BootstrapConfig
  readonly logger: Logger
  /** Aborts between steps; `signal.reason` is a BootstrapFailureReason. */
  readonly signal: AbortSignal
}

/** What a finished session wrote. */
export interface BootstrapSessionResult {
  readonly securityInstanceId: number
  readonly serverInstanceId: number
  readonly format: number
  /** Requests sent, in order, e.g. ["delete /0", "delete /1", "discover /0", ...]. */
  readonly steps: readonly string[]
}

/**
 * Runs one bootstrap session (LwM2M 1.1 §6.1.7, as Leshan's default session does): Bootstrap-
 * Delete /0 and /1 — the client keeps its own Bootstrap-Server account, as the spec requires of a
 * Delete of /0 —, Bootstrap-Discover /0 to learn which Security instance ids that account still
 * holds, Bootstrap-Write of the server's Security instance at a free id and of its Server
 * instance, optionally Bootstrap-Discover /, then Bootstrap-Finish. Any refused step ends the
 * session with a BootstrapSessionError; nothing is retried (the client retries the bootstrap).
 */
export async function runBootstrapSession(input: BootstrapSessionInput): Promise<BootstrapSessionResult> {
  const { sender, peer, config, logger, signal } = input
  const steps: string[] = []

  const send = async (step: string, request: LwM2mRequest, accept: (r: LwM2mResponse) => boolean): Promise<LwM2mResponse> => {
    checkAborted(signal, step)
    steps.push(step)
    let response: LwM2mResponse
    try {
      response = await sender.send({ peer, endpoint: input.client.endpoint }, request, { timeoutMs: config.requestTimeoutMs })
    } catch (err) {
      checkAborted(signal, step)
      const transport = err instanceof RequestTimeoutError || err instanceof RequestFailedError
      const reason = transport ? 'transport' : 'internal'
      throw new BootstrapSessionError(reason, `bootstrap ${step} ${transport ? 'got no answer' : 'could not be sent'}`, { step, cause: err })
    }
    checkAborted(signal, step)
    logger.debug({ step, code: response.coapCode }, 'bootstrap step answered')
    if (!accept(response)) {
      throw new BootstrapSessionError('rejected', `device answered ${response.coapCode} to bootstrap ${step}`, { step })
    }
    return response
  }
  const ok = (r: LwM2mResponse): boolean => r.success

  await send('delete /0', { kind: 'bootstrapDelete', path: { objectId: 0 } }, ok)
  await send('delete /1', { kind: 'bootstrapDelete', path: { objectId: 1 } }, ok)

  let securityInstanceId = config.securityInstanceId
  if (securityInstanceId === undefined) {
    // A client that cannot Bootstrap-Discover still gets provisioned, at the fixed fallback id.
    const discovered = await send('discover /0', { kind: 'bootstrapDiscover', path: { objectId: 0 } }, () => true)
    const kept = discovered.success ? securityInstancesOf(discovered) : []
    securityInstanceId = firstFreeId(kept)
    logger.debug({ kept, securityInstanceId, discovered: discovered.success }, 'bootstrap security instance chosen')
  }
  const serverInstanceId = config.serverInstanceId
  const secPath: LwM2mPath = { objectId: 0, instanceId: securityInstanceId }
  const srvPath: LwM2mPath = { objectId: 1, instanceId: serverInstanceId }
  await send(
    `write ${formatPath(secPath)}`,
    { kind: 'bootstrapWrite', path: secPath, node: securityInstance(input.client, input.serverKey, securityInstanceId, config), format: input.format },
    ok,
  )
  await send(
    `write ${formatPath(srvPath)}`,
    { kind: 'bootstrapWrite', path: srvPath, node: serverInstance(serverInstanceId, config), format: input.format },
    ok,
  )
  if (config.discoverAfterWrite) {
    const d = await send('discover /', { kind: 'bootstrapDiscover', path: {} }, () => true)
    logger.debug({ links: d.links?.map((l) => l.target) }, 'bootstrap discover after write')
  }
  await send('finish', { kind: 'bootstrapFinish' }, ok)
  return { securityInstanceId, serverInstanceId, format: input.format, steps }
}

/** Security instance ids a Bootstrap-Discover of /0 lists (`</0/3>` → 3). */
export function securityInstancesOf(response: LwM2mResponse): number[] {
  const ids = new Set<number>()
  for (const link of response.links ?? []) {
    const m = /^\/0\/(\d{1,5})\/?$/.exec(link.target)
    if (m) ids.add(Number(m[1]))
  }
  return [...ids].sort((a, b) => a - b)
}

/** The lowest id from 1 up not in `taken` (1 is what most clients expect after their /0/0). */
export function firstFreeId(taken: readonly number[]): number {
  let id = 1
  while (taken.includes(id)) id++
  return id
}

function checkAborted(signal: AbortSignal, step: string): void {
  if (!signal.aborted) return
  const reason = (typeof signal.reason === 'string' ? signal.reason : 'shutdown') as BootstrapFailureReason
  throw new BootstrapSessionError(reason, `bootstrap session ended (${reason}) before ${step}`, { step })
}
