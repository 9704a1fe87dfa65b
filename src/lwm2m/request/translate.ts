/**
 * The translator at the boundary (Leshan's CoapRequestBuilder / LwM2mResponseBuilder): an
 * LwM2mRequest becomes a CoapRequestInit, a CoapResponse becomes an LwM2mResponse.
 */
import type { CoapRequestInit, CoapResponse } from '../../transport/types.js'
import { formatAttributes } from '../attributes.js'
import { carriesNames, codecFor, decodeTimestamped, type LwM2mVersion } from '../codec/index.js'
import type { OpaqueAlphabet } from '../codec/bytes-text.js'
import { encodeSenmlJson } from '../codec/senml-json.js'
import { decodeCompositeNodes, decodeCompositeTimes, encodeCompositeNodes, encodeCompositePaths } from '../codec/composite.js'
import { ContentFormat } from '../content-format.js'
import { CodecError } from '../errors.js'
import { parseLinks } from '../link.js'
import type { ModelRegistry } from '../model.js'
import type { LwM2mNode } from '../node.js'
import { formatPath, pathIds, pathLevel, type LwM2mPath, type PathLevel } from '../path.js'
import { isSuccessCoapCode, responseCodeOf } from './codes.js'
import { InvalidRequestError } from './errors.js'
import { chooseFormat } from './format.js'
import type { CompositeRequest, LwM2mRequest, LwM2mResponse, SinglePathRequest } from './types.js'

/** What the translator knows about the device it talks to. */
export interface TranslationPeer {
  /** The client's alternate path from registration (`</lwm2m>;rt="oma.lwm2m"`), default "/". */
  readonly rootPath?: string
  readonly lwm2mVersion?: LwM2mVersion
  /** Content formats the client supports (registration `ct`). */
  readonly contentFormats?: readonly number[]
}

/** A translated request and the content format the response is expected in. */
export interface TranslatedRequest {
  readonly coap: CoapRequestInit
  /** Format asked for (Accept) or written (Content-Format); decodes a response without one. */
  readonly format?: number
}

const decoder = new TextDecoder('utf-8', { fatal: false })
const strictDecoder = new TextDecoder('utf-8', { fatal: true })

/** Uri-Path segments of a root path: "/lwm2m/" → ["lwm2m"], "/" → []. */
export function rootSegments(rootPath: string | undefined): string[] {
  return (rootPath ?? '/').split('/').filter((s) => s !== '')
}

/** Translates an LwM2M request into a CoAP request; InvalidRequestError if it cannot be encoded. */
export function toCoapRequest(request: LwM2mRequest, peer: TranslationPeer, models: ModelRegistry): TranslatedRequest {
  if (request.kind === 'bootstrapFinish') return { coap: { method: 'POST', path: ['bs'] } }
  if (request.kind === 'readComposite' || request.kind === 'writeComposite' || request.kind === 'observeComposite') return compositeRequest(request, peer)
  checkLevel(request)
  const path = [...rootSegments(peer.rootPath), ...pathIds(request.path).map(String)]
  switch (request.kind) {
    case 'read':
    case 'observe':
    case 'bootstrapRead': {
      const format = chooseFormat(peer, request.format)
      return { coap: { method: 'GET', path, accept: format }, format }
    }
    case 'discover':
    case 'bootstrapDiscover':
      return { coap: { method: 'GET', path, accept: ContentFormat.LINK }, format: ContentFormat.LINK }
    case 'write': {
      if (request.mode === 'update') checkUpdatable(request.path, models)
      const format = chooseFormat(peer, request.format)
      const payload = encode(request.node, request.path, format, models, request.opaqueAlphabet)
      return { coap: { method: request.mode === 'replace' ? 'PUT' : 'POST', path, contentFormat: format, payload }, format }
    }
    case 'bootstrapWrite': {
      const format = chooseFormat(peer, request.format)
      const payload = encode(request.node, request.path, format, models, request.opaqueAlphabet)
      return { coap: { method: 'PUT', path, contentFormat: format, payload }, format }
    }
    case 'create': {
      if (request.clientChoosesId) return createWithoutId(request, path, models)
      const format = chooseFormat(peer, request.format)
      const payload = encode(request.node, request.path, format, models, request.opaqueAlphabet)
      return { coap: { method: 'POST', path, contentFormat: format, payload }, format }
    }
    case 'execute': {
      const args = request.args ?? ''
      return { coap: args === '' ? { method: 'POST', path } : { method: 'POST', path, contentFormat: ContentFormat.TEXT, payload: args } }
    }
    case 'delete':
    case 'bootstrapDelete':
      return { coap: { method: 'DELETE', path } }
    case 'writeAttributes': {
      let query: string[]
      try {
        query = formatAttributes(request.attributes)
      } catch (err) {
        throw new InvalidRequestError('bad notification attributes', err)
      }
      // A PUT with neither query nor payload would read as an empty Write on the device.
      if (query.length === 0) throw new InvalidRequestError('write-attributes needs at least one attribute')
      return { coap: { method: 'PUT', path, query } }
    }
  }
}

/**
 * Partial update (POST) targets an instance, or a multiple resource whose instances it adds to:
 * on a single resource a POST is an Execute to the device.
 */
function checkUpdatable(path: LwM2mPath, models: ModelRegistry): void {
  const level = pathLevel(path)
  if (level === 'instance') return
  const model = level === 'resource' ? models.getResource(path.objectId!, path.resourceId!) : undefined
  if (level === 'resource' && (model === undefined || model.multiple)) return
  throw new InvalidRequestError(`partial update cannot target ${level === 'resource' ? 'single resource' : level} ${formatPath(path)}: use replace`)
}

/** A create whose payload is the instance's resources only, in TLV: the device picks the id. */
function createWithoutId(request: Extract<LwM2mRequest, { kind: 'create' }>, path: string[], models: ModelRegistry): TranslatedRequest {
  if (request.node.kind !== 'instance') throw new InvalidRequestError('a create without instance id needs an instance node')
  if (request.format !== undefined && request.format !== ContentFormat.TLV) {
    throw new InvalidRequestError('a create without instance id is only expressible in TLV')
  }
  const at = { objectId: request.path.objectId, instanceId: request.node.id }
  const payload = encode(request.node, at, ContentFormat.TLV, models)
  return { coap: { method: 'POST', path, contentFormat: ContentFormat.TLV, payload }, format: ContentFormat.TLV }
}

/** Most paths one composite request may name (a bound on the device's work and our memory). */
export const MAX_COMPOSITE_PATHS = 100

/** The SenML format of a composite request: the one asked for, else the best SenML format the client listed. */
function compositeFormat(peer: TranslationPeer, explicit: number | undefined): number {
  if (explicit !== undefined) {
    if (explicit !== ContentFormat.SENML_JSON && explicit !== ContentFormat.SENML_CBOR) {
      throw new InvalidRequestError(`composite operations are carried in SenML JSON (110) or SenML CBOR (112), not ${explicit}`)
    }
    return explicit
  }
  if (peer.lwm2mVersion === '1.0') throw new InvalidRequestError('composite operations need LwM2M 1.1 or later; this client registered as 1.0')
  const listed = peer.contentFormats ?? []
  if (listed.includes(ContentFormat.SENML_CBOR)) return ContentFormat.SENML_CBOR
  if (listed.includes(ContentFormat.SENML_JSON)) return ContentFormat.SENML_JSON
  return ContentFormat.SENML_CBOR
}

/** Checks a composite request's paths: some, at most MAX_COMPOSITE_PATHS, none twice, none the root. */
export function checkCompositePaths(paths: readonly LwM2mPath[]): void {
  if (paths.length === 0) throw new InvalidRequestError('a composite request needs at least one path')
  if (paths.length > MAX_COMPOSITE_PATHS) throw new InvalidRequestError(`a composite request names at most ${MAX_COMPOSITE_PATHS} paths, not ${paths.length}`)
  const seen = new Set<string>()
  for (const p of paths) {
    const text = formatPath(p)
    if (pathLevel(p) === 'root') throw new InvalidRequestError('a composite request cannot name the root path')
    if (seen.has(text)) throw new InvalidRequestError(`path ${text} is named twice in the composite request`)
    seen.add(text)
  }
}

/**
 * Read-Composite: FETCH / with the paths; Write-Composite: iPATCH / with the values (TS Core
 * §6.3.4-5). Observe-Composite is the same FETCH: the CoAP client adds Observe 0 (and Observe 1,
 * with this same payload, to cancel).
 */
function compositeRequest(request: CompositeRequest, peer: TranslationPeer): TranslatedRequest {
  const path = rootSegments(peer.rootPath)
  const format = compositeFormat(peer, request.format)
  if (request.kind === 'readComposite' || request.kind === 'observeComposite') {
    checkCompositePaths(request.paths)
    return { coap: { method: 'FETCH', path, contentFormat: format, accept: format, payload: encodeCompositePaths(format, request.paths) }, format }
  }
  checkCompositePaths(request.nodes.map(([p]) => p))
  let payload: Uint8Array
  try {
    payload = encodeCompositeNodes(format, request.nodes)
  } catch (err) {
    if (err instanceof CodecError) throw new InvalidRequestError('composite values do not encode', err)
    throw err
  }
  return { coap: { method: 'iPATCH', path, contentFormat: format, payload }, format }
}

/** Path levels each request may target (LwM2M TS Core §6, as Leshan's request constructors check). */
const LEVELS: Record<SinglePathRequest['kind'], readonly PathLevel[]> = {
  read: ['object', 'instance', 'resource', 'resourceInstance'],
  observe: ['object', 'instance', 'resource', 'resourceInstance'],
  discover: ['object', 'instance', 'resource'],
  writeAttributes: ['object', 'instance', 'resource', 'resourceInstance'],
  write: ['instance', 'resource', 'resourceInstance'],
  execute: ['resource'],
  create: ['object'],
  delete: ['instance', 'resourceInstance'],
  bootstrapWrite: ['object', 'instance', 'resource'],
  bootstrapDelete: ['root', 'object', 'instance'],
  bootstrapDiscover: ['root', 'object'],
  bootstrapRead: ['object', 'instance'],
}

function checkLevel(request: SinglePathRequest): void {
  const level = pathLevel(request.path)
  if (!LEVELS[request.kind].includes(level)) {
    throw new InvalidRequestError(`${request.kind} cannot target ${level === 'root' ? 'the root path' : `${level} path ${formatPath(request.path)}`}`)
  }
}

function encode(node: LwM2mNode, path: LwM2mPath, format: number, models: ModelRegistry, alphabet?: OpaqueAlphabet): Uint8Array {
  try {
    if (format === ContentFormat.SENML_JSON && alphabet !== undefined) return encodeSenmlJson(node, path, alphabet)
    return codecFor(format).encode(node, path, models)
  } catch (err) {
    if (err instanceof CodecError) throw new InvalidRequestError(`node does not encode at ${formatPath(path)}`, err)
    throw err
  }
}

/**
 * Translates a CoAP response to an LwM2mResponse. Content is decoded at the request path with the
 * codec of its Content-Format (else the requested format); a payload that does not decode gives
 * `success: false` with the reason, never a throw.
 */
export function fromCoapResponse(
  request: LwM2mRequest,
  response: CoapResponse,
  expectedFormat: number | undefined,
  models: ModelRegistry,
): LwM2mResponse {
  const code = responseCodeOf(response.code)
  const base: LwM2mResponse = { code, coapCode: response.code, success: isSuccessCoapCode(response.code) }
  if (!base.success) {
    return response.payload.length > 0 ? { ...base, errorMessage: decoder.decode(response.payload) } : base
  }
  switch (request.kind) {
    case 'read':
    case 'observe':
    case 'bootstrapRead':
    case 'discover':
    case 'bootstrapDiscover':
    case 'readComposite':
    case 'observeComposite':
      // Content comes only with 2.05: decoding another answer's payload would invent a value.
      if (response.code !== '2.05') return { ...base, success: false, errorMessage: `unexpected ${response.code} answer to ${request.kind}` }
  }
  switch (request.kind) {
    case 'read':
    case 'observe':
    case 'bootstrapRead':
      return withNode(base, request.path, response, expectedFormat, models, request.kind === 'observe')
    case 'discover':
    case 'bootstrapDiscover':
      return withLinks(base, response)
    case 'readComposite':
      return withComposite(base, request.paths, response, expectedFormat, models, false)
    case 'observeComposite':
      return withComposite(base, request.paths, response, expectedFormat, models, true)
    case 'create':
      return response.locationPath.length > 0 ? { ...base, location: '/' + response.locationPath.join('/') } : base
    default:
      return base
  }
}

function withNode(
  base: LwM2mResponse,
  path: LwM2mPath,
  response: CoapResponse,
  expectedFormat: number | undefined,
  models: ModelRegistry,
  withTimes: boolean,
): LwM2mResponse {
  const format = response.contentFormat ?? expectedFormat ?? ContentFormat.TLV
  try {
    const node = codecFor(format).decode(response.payload, path, models)
    if (withTimes && carriesNames(format)) {
      const timestamped = decodeTimestamped(format, response.payload, path, models)
      if (timestamped.length > 1 || timestamped[0]?.time !== undefined) return { ...base, node, format, timestamped }
    }
    return { ...base, node, format }
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    return { ...base, success: false, format, errorMessage: `undecodable content (format ${format}): ${err.shortMessage}` }
  }
}

function withComposite(
  base: LwM2mResponse,
  paths: readonly LwM2mPath[],
  response: CoapResponse,
  expectedFormat: number | undefined,
  models: ModelRegistry,
  withTimes: boolean,
): LwM2mResponse {
  const format = response.contentFormat ?? expectedFormat ?? ContentFormat.SENML_CBOR
  try {
    const composite = decodeCompositeNodes(format, response.payload, paths, models)
    const times = withTimes ? decodeCompositeTimes(format, response.payload) : {}
    return { ...base, format, composite, ...(Object.keys(times).length > 0 && { times }) }
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    return { ...base, success: false, format, errorMessage: `undecodable composite content (format ${format}): ${err.shortMessage}` }
  }
}

function withLinks(base: LwM2mResponse, response: CoapResponse): LwM2mResponse {
  if (response.contentFormat !== undefined && response.contentFormat !== ContentFormat.LINK) {
    return { ...base, success: false, format: response.contentFormat, errorMessage: `discover answered in content format ${response.contentFormat}, not link format` }
  }
  let text: string
  try {
    text = strictDecoder.decode(response.payload)
  } catch {
    return { ...base, success: false, format: ContentFormat.LINK, errorMessage: 'undecodable links: not UTF-8 text' }
  }
  try {
    return { ...base, links: parseLinks(text), format: ContentFormat.LINK }
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    return { ...base, success: false, format: ContentFormat.LINK, errorMessage: `undecodable links: ${err.shortMessage}` }
  }
}
