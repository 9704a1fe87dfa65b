/**
 * The request/response view of CoAP messages that handlers and callers use: methods by name, the
 * URI as path segments and query strings, known options lifted into fields. The shapes themselves
 * are declared in ../types.ts; this file maps them to and from messages.
 */
import type { CoapMethod, CoapOption, CoapRequest, CoapRequestInit, CoapResponse, CoapResponseInit, PeerAddress } from '../types.js'
import { CoapFormatError } from './errors.js'
import type { CoapMessage } from './message.js'
import { OptionNumber as O, encodeUint, getStrings, getUint, stringOptions, withoutOptions } from './options.js'

// The shapes live in ../types.ts, the seam the layers above import; kept importable from here.
export type { CoapMethod, CoapRequest, CoapRequestInit, CoapResponse, CoapResponseInit } from '../types.js'

const METHOD_CODES: Record<CoapMethod, string> = {
  GET: '0.01',
  POST: '0.02',
  PUT: '0.03',
  DELETE: '0.04',
  FETCH: '0.05',
  PATCH: '0.06',
  iPATCH: '0.07',
}
const CODE_METHODS = new Map(Object.entries(METHOD_CODES).map(([m, c]) => [c, m as CoapMethod]))

/** What a request handler learns about the sender. */
export interface CoapRequestContext {
  readonly peer: PeerAddress
  /** Authenticated PSK identity over DTLS; undefined over UDP. */
  readonly identity?: string
  /**
   * Only for GET/FETCH with Observe=0: accept the observation. The response then carries an
   * Observe sequence number and `relation.notify()` sends notifications until it is cancelled.
   */
  readonly acceptObserve?: () => CoapObserveRelation
}

/** The server side of one observation (RFC 7641). */
export interface CoapObserveRelation {
  /** Sends a notification (NON unless `confirmable`); resolves when sent (or acknowledged if CON). */
  notify(response: CoapResponseInit, options?: { confirmable?: boolean }): Promise<void>
  /** Ends the relation locally; later notify() calls reject. */
  close(): void
  /** Called once when the relation ends (deregistration, Reset, timeout, close(), stop()). */
  onClose(handler: (reason: 'deregistered' | 'reset' | 'timeout' | 'closed') => void): void
  readonly closed: boolean
}

/** Method name of a request code; undefined for codes no method has. */
export function methodOfCode(code: string): CoapMethod | undefined {
  return CODE_METHODS.get(code)
}

/** The code of a method. */
export function codeOfMethod(method: CoapMethod): string {
  return METHOD_CODES[method]
}

const encoder = new TextEncoder()

/** Bytes of a payload given as text or bytes. */
export function payloadBytes(payload: Uint8Array | string | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0)
  return typeof payload === 'string' ? encoder.encode(payload) : payload
}

/** Lifts the options of a decoded request message into a CoapRequest (payload given separately). */
export function toRequest(msg: CoapMessage, payload: Uint8Array): CoapRequest {
  const method = methodOfCode(msg.code)
  if (!method) throw new CoapFormatError(`unknown method code ${msg.code}`)
  return {
    method,
    path: getStrings(msg.options, O.URI_PATH),
    query: getStrings(msg.options, O.URI_QUERY),
    contentFormat: getUint(msg.options, O.CONTENT_FORMAT),
    accept: getUint(msg.options, O.ACCEPT),
    observe: getUint(msg.options, O.OBSERVE),
    payload,
    options: msg.options,
    confirmable: msg.type === 'CON',
  }
}

/** Options of a request init, without block options (the endpoint adds those). */
export function requestOptions(req: CoapRequestInit): CoapOption[] {
  const options: CoapOption[] = [
    ...stringOptions(O.URI_PATH, req.path ?? []),
    ...stringOptions(O.URI_QUERY, req.query ?? []),
  ]
  if (req.contentFormat !== undefined) options.push({ number: O.CONTENT_FORMAT, value: encodeUint(req.contentFormat) })
  if (req.accept !== undefined) options.push({ number: O.ACCEPT, value: encodeUint(req.accept) })
  if (req.observe !== undefined) options.push({ number: O.OBSERVE, value: encodeUint(req.observe) })
  return [...options, ...(req.options ?? [])]
}

/** Lifts the options of a decoded response message into a CoapResponse. */
export function toResponse(msg: CoapMessage, payload: Uint8Array): CoapResponse {
  return {
    code: msg.code,
    contentFormat: getUint(msg.options, O.CONTENT_FORMAT),
    observe: getUint(msg.options, O.OBSERVE),
    locationPath: getStrings(msg.options, O.LOCATION_PATH),
    locationQuery: getStrings(msg.options, O.LOCATION_QUERY),
    payload,
    options: msg.options,
  }
}

/** Options of a response init (without Block2/Observe, the endpoint adds those). */
export function responseOptions(res: CoapResponseInit): CoapOption[] {
  const options: CoapOption[] = [
    ...stringOptions(O.LOCATION_PATH, res.locationPath ?? []),
    ...stringOptions(O.LOCATION_QUERY, res.locationQuery ?? []),
  ]
  if (res.contentFormat !== undefined) options.push({ number: O.CONTENT_FORMAT, value: encodeUint(res.contentFormat) })
  if (res.maxAge !== undefined) options.push({ number: O.MAX_AGE, value: encodeUint(res.maxAge) })
  return [...options, ...withoutOptions(res.options ?? [], O.BLOCK2, O.OBSERVE)]
}
