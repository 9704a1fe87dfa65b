/**
 * Sends LwM2M requests to a device through a CoAP endpoint and turns the answers into values.
 * Only transport failures reject (RequestTimeoutError / RequestFailedError); LwM2M error codes
 * and undecodable payloads come back as `success: false`.
 */
import type { Logger } from '../../logger.js'
import {
  peerKey,
  transportFailureOf,
  type CoapObservation,
  type CoapRequester,
  type CoapRequestInit,
  type CoapResponse,
  type PeerAddress,
} from '../../transport/types.js'
import type { OpaqueAlphabet } from '../codec/bytes-text.js'
import type { LwM2mVersion } from '../codec/index.js'
import { ContentFormat } from '../content-format.js'
import { isSuccessCoapCode } from './codes.js'
import type { ModelRegistry } from '../model.js'
import { formatPath } from '../path.js'
import { InvalidRequestError, RequestFailedError, RequestTimeoutError, type RequestFailure } from './errors.js'
import { fromCoapResponse, toCoapRequest } from './translate.js'
import type { LwM2mRequest, LwM2mResponse, ObserveRequest } from './types.js'

/** What the sender needs from a CoAP endpoint: the transport's requesting side (a CoapEndpoint satisfies it). */
export type { CoapRequester }

/** The device a request goes to, as its registration describes it. */
export interface PeerContext {
  peer: PeerAddress
  /** Endpoint name, only for logs. */
  endpoint?: string
  /** Alternate path from registration, default "/". */
  rootPath?: string
  lwm2mVersion?: LwM2mVersion
  /** Content formats the client supports (registration `ct`). */
  contentFormats?: number[]
  /** The models of the object versions this client announced (default: the sender's). */
  models?: ModelRegistry
}

/** A live observation: the first response and how to end it. */
export interface LwM2mObservation {
  response: LwM2mResponse
  /** Whether the device accepted the observation (notifications will come). */
  active: boolean
  /**
   * Cancels with the request repeated with Observe=1 (GET, or FETCH with the same paths for
   * Observe-Composite): the proactive cancel; resolves even if the device is gone.
   */
  cancel(): Promise<void>
}

export interface RequestSenderOptions {
  coap: CoapRequester
  models: ModelRegistry
  logger?: Logger
  /** Default response timeout per request (the endpoint's own when absent). */
  timeoutMs?: number
}

export interface RequestSender {
  /** Sends one request; resolves with the LwM2M outcome, rejects only on transport failure. */
  send(target: PeerContext, request: LwM2mRequest, opts?: { timeoutMs?: number }): Promise<LwM2mResponse>
  /** Observes a path (or several, Observe-Composite); every notification is decoded and given to onNotification. */
  observe(target: PeerContext, request: ObserveRequest, onNotification: (r: LwM2mResponse) => void): Promise<LwM2mObservation>
}

/** Creates the request sender both daemons use (Leshan's LwM2mRequestSender). */
export function createRequestSender(o: RequestSenderOptions): RequestSender {
  const { coap, models, logger } = o
  const alphabets = createAlphabetMemory()

  const exchange = async (target: PeerContext, request: LwM2mRequest, timeoutMs: number | undefined) => {
    const { coap: init, format } = toCoapRequest(request, target, target.models ?? models)
    const what = describeRequest(request, target.peer)
    let res: CoapResponse
    try {
      res = await coap.request(target.peer, init, timeoutMs === undefined ? {} : { responseTimeoutMs: timeoutMs })
    } catch (err) {
      throw transportError(what, err)
    }
    logger?.debug({ endpoint: target.endpoint, peer: peerKey(target.peer), request: what, code: res.code }, 'lwm2m request answered')
    return { init, format, res }
  }

  return {
    async send(target, request, opts = {}) {
      if (request.kind === 'observe' || request.kind === 'observeComposite') throw new InvalidRequestError(`an ${request.kind} request goes through observe(), not send()`)
      const timeoutMs = opts.timeoutMs ?? o.timeoutMs
      const who = target.endpoint ?? peerKey(target.peer)
      const carriesOpaque = request.kind === 'write' || request.kind === 'bootstrapWrite' || request.kind === 'create'
      const first = carriesOpaque && request.opaqueAlphabet === undefined ? { ...request, opaqueAlphabet: alphabets.get(who) } : request
      const { init, format, res } = await exchange(target, first, timeoutMs)
      if (carriesOpaque && request.opaqueAlphabet === undefined && res.code === '4.00' && format === ContentFormat.SENML_JSON) {
        // Some clients decode "vd" with the standard alphabet only (Wakaama, wakaama#698), strict
        // RFC 8428 ones with base64url only: a 4.00 to a payload whose text differs between the two
        // is retried once in the other alphabet, which this endpoint then gets first.
        const other: OpaqueAlphabet = alphabets.get(who) === 'base64url' ? 'base64' : 'base64url'
        const retry = { ...request, opaqueAlphabet: other }
        if (!samePayload(init.payload, toCoapRequest(retry, target, target.models ?? models).coap.payload)) {
          const second = await exchange(target, retry, timeoutMs)
          if (isSuccessCoapCode(second.res.code)) {
            alphabets.set(who, other)
            logger?.info({ endpoint: target.endpoint, alphabet: other }, 'SenML JSON opaque values: this client decodes the other base64 alphabet')
          }
          return fromCoapResponse(request, second.res, second.format, target.models ?? models)
        }
      }
      return fromCoapResponse(request, res, format, target.models ?? models)
    },

    async observe(target, request, onNotification) {
      const peerModels = target.models ?? models
      const { coap: init, format } = toCoapRequest(request, target, peerModels)
      const what = describeRequest(request, target.peer)
      const notify = (res: CoapResponse): void => {
        const response = fromCoapResponse(request, res, format, peerModels)
        try {
          onNotification(response)
        } catch (err) {
          logger?.error({ err, endpoint: target.endpoint, peer: peerKey(target.peer), request: what }, 'lwm2m notification listener threw')
        }
      }
      let observation: CoapObservation
      try {
        observation = await coap.observe(target.peer, init, notify)
      } catch (err) {
        throw transportError(what, err)
      }
      const response = fromCoapResponse(request, observation.first, format, peerModels)
      const active = response.success && observation.first.observe !== undefined
      logger?.debug({ endpoint: target.endpoint, peer: peerKey(target.peer), request: what, code: observation.first.code, active }, 'lwm2m observe answered')
      return { response, active, cancel: () => observation.cancel() }
    },
  }
}

/** Which base64 alphabet each endpoint decodes in SenML JSON (bounded: oldest forgotten first). */
function createAlphabetMemory(max = 100_000): { get(who: string): OpaqueAlphabet; set(who: string, a: OpaqueAlphabet): void } {
  const learned = new Map<string, OpaqueAlphabet>()
  return {
    get: (who) => learned.get(who) ?? 'base64url',
    set(who, a) {
      learned.delete(who)
      if (a !== 'base64url') learned.set(who, a)
      if (learned.size > max) learned.delete(learned.keys().next().value as string)
    },
  }
}

function samePayload(a: CoapRequestInit['payload'], b: CoapRequestInit['payload']): boolean {
  const x = typeof a === 'string' ? Buffer.from(a) : Buffer.from(a ?? new Uint8Array())
  const y = typeof b === 'string' ? Buffer.from(b) : Buffer.from(b ?? new Uint8Array())
  return x.equals(y)
}

/** "read /3/0 to 127.0.0.1:5683": for error messages and logs. */
export function describeRequest(request: LwM2mRequest, peer: PeerAddress): string {
  const path =
    request.kind === 'bootstrapFinish'
      ? '/bs'
      : request.kind === 'readComposite' || request.kind === 'observeComposite'
        ? request.paths.map(formatPath).join(',')
        : request.kind === 'writeComposite'
          ? request.nodes.map(([p]) => formatPath(p)).join(',')
          : formatPath(request.path)
  return `${request.kind} ${path} to ${peerKey(peer)}`
}

/**
 * Maps a transport failure to the request error of its kind. The kind comes from the error's
 * `transportFailure` (transport/types.ts), so lwm2m does not depend on the endpoint's classes.
 */
export function transportError(what: string, err: unknown): Error {
  if (err instanceof RequestTimeoutError || err instanceof RequestFailedError) return err
  const kind = transportFailureOf(err)
  if (kind === 'timeout') return new RequestTimeoutError(what, err)
  const failure: RequestFailure = kind ?? 'other'
  return new RequestFailedError(what, failure, err)
}
