/**
 * The translator in the other direction, for the device (simulator) side: a CoAP request a device
 * receives becomes an LwM2mRequest, and the device's answer becomes a CoAP response. The same
 * mapping as translate.ts, read backwards, so both ends agree by construction.
 */
import type { CoapRequest, CoapResponseInit } from '../../transport/types.js'
import { InvalidAttributesError, parseAttributes } from '../attributes.js'
import { codecFor } from '../codec/index.js'
import { decodeCompositeNodes, decodeCompositePaths, encodeCompositeNodes, type PathNode } from '../codec/composite.js'
import { ContentFormat } from '../content-format.js'
import { CodecError, InvalidPathError } from '../errors.js'
import { formatLinks, type Link } from '../link.js'
import type { ModelRegistry } from '../model.js'
import type { LwM2mNode } from '../node.js'
import { formatPath, parsePath, pathLevel, type LwM2mPath } from '../path.js'
import { coapCodeOf } from './codes.js'
import { rootSegments } from './translate.js'
import type { LwM2mRequest, ResponseCode } from './types.js'

/** Why a received CoAP request is not an LwM2M request the device can act on. */
export interface RequestParseError {
  error: ResponseCode
  message: string
}

export interface ParseRequestOptions {
  models: ModelRegistry
  /** The device's own alternate path, stripped from the Uri-Path when present. */
  rootPath?: string
  /**
   * The request comes from the bootstrap server: PUT is Bootstrap-Write, DELETE Bootstrap-Delete,
   * GET Bootstrap-Read / Bootstrap-Discover. `POST /bs` and `DELETE /` are bootstrap either way.
   */
  bootstrap?: boolean
}

/** Whether parseLwM2mRequest refused the request. */
export function isRequestParseError(r: LwM2mRequest | RequestParseError): r is RequestParseError {
  return 'error' in r
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Decodes a CoAP request a device receives into an LwM2mRequest, or the error code to answer. */
export function parseLwM2mRequest(req: CoapRequest, o: ParseRequestOptions): LwM2mRequest | RequestParseError {
  if (req.method === 'POST' && req.path.length === 1 && req.path[0] === 'bs') return { kind: 'bootstrapFinish' }
  const segments = stripRoot(req.path, o.rootPath)
  if (!segments) return { error: 'NOT_FOUND', message: `${'/' + req.path.join('/')} is outside the LwM2M root path` }
  let path: LwM2mPath
  try {
    path = parsePath(segments.join('/'))
  } catch (err) {
    if (err instanceof InvalidPathError) return { error: 'NOT_FOUND', message: err.shortMessage }
    throw err
  }
  const level = pathLevel(path)
  switch (req.method) {
    case 'GET':
      return parseGet(req, path, o)
    case 'PUT':
      return parsePut(req, path, o)
    case 'POST':
      return parsePost(req, path, o)
    case 'FETCH':
    case 'iPATCH':
      if (level !== 'root' || o.bootstrap) return { error: 'METHOD_NOT_ALLOWED', message: `${req.method} is only a composite operation on the root path` }
      return parseComposite(req, o)
    case 'DELETE':
      if (level === 'root' || o.bootstrap) return { kind: 'bootstrapDelete', path }
      if (level !== 'instance' && level !== 'resourceInstance') {
        return { error: 'METHOD_NOT_ALLOWED', message: `delete needs an instance path, not ${formatPath(path)}` }
      }
      return { kind: 'delete', path }
    default:
      return { error: 'METHOD_NOT_ALLOWED', message: `${req.method} is not an LwM2M operation` }
  }
}

function parseGet(req: CoapRequest, path: LwM2mPath, o: ParseRequestOptions): LwM2mRequest | RequestParseError {
  if (req.accept === ContentFormat.LINK) return { kind: o.bootstrap ? 'bootstrapDiscover' : 'discover', path }
  const format = req.accept === undefined ? {} : { format: req.accept }
  if (o.bootstrap) return { kind: 'bootstrapRead', path, ...format }
  // Observe=1 is a plain read: the CoAP endpoint already ended the relation of that token.
  if (req.observe === 0) return { kind: 'observe', path, ...format }
  return { kind: 'read', path, ...format }
}

function parsePut(req: CoapRequest, path: LwM2mPath, o: ParseRequestOptions): LwM2mRequest | RequestParseError {
  const level = pathLevel(path)
  if (!o.bootstrap && req.payload.length === 0 && req.query.length > 0) {
    try {
      return { kind: 'writeAttributes', path, attributes: parseAttributes(req.query) }
    } catch (err) {
      if (err instanceof InvalidAttributesError) return { error: 'BAD_REQUEST', message: err.shortMessage }
      throw err
    }
  }
  if (o.bootstrap) {
    if (level === 'root') return { error: 'METHOD_NOT_ALLOWED', message: 'bootstrap write needs an object path' }
    return withNode(req, path, o.models, (node, format) => ({ kind: 'bootstrapWrite', path, node, format }))
  }
  if (level === 'root' || level === 'object') {
    return { error: 'METHOD_NOT_ALLOWED', message: `write needs an instance or resource path, not ${formatPath(path)}` }
  }
  return withNode(req, path, o.models, (node, format) => ({ kind: 'write', mode: 'replace', path, node, format }))
}

function parsePost(req: CoapRequest, path: LwM2mPath, o: ParseRequestOptions): LwM2mRequest | RequestParseError {
  switch (pathLevel(path)) {
    case 'object':
      if (isBareResourcesTlv(req)) {
        // No instance TLV around the resources: the client picks the id (LwM2M 1.0 Create).
        const at = { objectId: path.objectId, instanceId: 0 }
        return withNode(req, at, o.models, (node, format) => ({ kind: 'create', path, node, format, clientChoosesId: true }))
      }
      return withNode(req, path, o.models, (node, format) => ({ kind: 'create', path, node: singleInstance(node), format }))
    case 'instance':
      return withNode(req, path, o.models, (node, format) => ({ kind: 'write', mode: 'update', path, node, format }))
    case 'resource': {
      // POST on a resource is Execute, unless it is a writable multiple resource given content
      // (partial update of its instances).
      const model = o.models.getResource(path.objectId!, path.resourceId!)
      const isUpdate = model !== undefined && model.multiple && model.operations.includes('W') && req.contentFormat !== undefined && req.contentFormat !== ContentFormat.TEXT
      if (isUpdate) return withNode(req, path, o.models, (node, format) => ({ kind: 'write', mode: 'update', path, node, format }))
      if (req.contentFormat !== undefined && req.contentFormat !== ContentFormat.TEXT) {
        return { error: 'UNSUPPORTED_CONTENT_FORMAT', message: `execute arguments must be text/plain, not format ${req.contentFormat}` }
      }
      let args: string
      try {
        args = utf8.decode(req.payload)
      } catch {
        return { error: 'BAD_REQUEST', message: 'execute arguments are not UTF-8 text' }
      }
      return args === '' ? { kind: 'execute', path } : { kind: 'execute', path, args }
    }
    default:
      return { error: 'METHOD_NOT_ALLOWED', message: `POST is not allowed on ${formatPath(path)}` }
  }
}

/** Read-Composite (FETCH /, Observe-Composite when Observe=0) or Write-Composite (iPATCH /), in SenML. */
function parseComposite(req: CoapRequest, o: ParseRequestOptions): LwM2mRequest | RequestParseError {
  const format = req.contentFormat
  if (format !== ContentFormat.SENML_JSON && format !== ContentFormat.SENML_CBOR) {
    return { error: 'UNSUPPORTED_CONTENT_FORMAT', message: 'composite operations come in SenML JSON or SenML CBOR' }
  }
  try {
    if (req.method === 'FETCH') {
      // Observe=1 (the cancel) is a plain Read-Composite: the CoAP endpoint already ended the relation of that token.
      const kind = req.observe === 0 ? 'observeComposite' : 'readComposite'
      return { kind, paths: decodeCompositePaths(format, req.payload), format: req.accept ?? format }
    }
    return { kind: 'writeComposite', nodes: decodeCompositeNodes(format, req.payload, undefined, o.models), format }
  } catch (err) {
    if (err instanceof CodecError) return { error: 'BAD_REQUEST', message: err.shortMessage }
    throw err
  }
}

/** A TLV payload whose first TLV is a resource, not an object instance (type bits 7-6 not 00). */
function isBareResourcesTlv(req: CoapRequest): boolean {
  const tlv = (req.contentFormat ?? ContentFormat.TLV) === ContentFormat.TLV
  return tlv && req.payload.length > 0 && (req.payload[0] & 0xc0) !== 0
}

/** Decodes the payload at the request path (TLV when the request names no Content-Format). */
function withNode(
  req: CoapRequest,
  path: LwM2mPath,
  models: ModelRegistry,
  build: (node: LwM2mNode, format: number) => LwM2mRequest,
): LwM2mRequest | RequestParseError {
  const format = req.contentFormat ?? ContentFormat.TLV
  let codec
  try {
    codec = codecFor(format)
  } catch {
    return { error: 'UNSUPPORTED_CONTENT_FORMAT', message: `content format ${format} is not supported` }
  }
  try {
    return build(codec.decode(req.payload, path, models), format)
  } catch (err) {
    if (err instanceof CodecError) return { error: 'BAD_REQUEST', message: err.shortMessage }
    throw err
  }
}

/** A create payload decoded at /o is an object node; one instance is given as that instance. */
function singleInstance(node: LwM2mNode): LwM2mNode {
  if (node.kind === 'object' && node.instances.size === 1) return [...node.instances.values()][0]
  return node
}

function stripRoot(path: readonly string[], rootPath: string | undefined): readonly string[] | undefined {
  const root = rootSegments(rootPath)
  if (root.length === 0) return path
  return root.every((s, i) => path[i] === s) ? path.slice(root.length) : undefined
}

/** What a device answers, before encoding (an LwM2mResponse without the received-only fields). */
export interface DeviceResponse {
  code: ResponseCode
  /** Node at the request path (read, observe, bootstrapRead). */
  node?: LwM2mNode
  /** Format to encode `node` with; TLV when absent. */
  format?: number
  /** Discover answer. */
  links?: readonly Link[]
  /** Create: location of the new instance, e.g. "/3303/1". */
  location?: string
  /** Diagnostic payload of an error answer. */
  errorMessage?: string
  /** Read-Composite answer: each node at its path, in `format` (SenML). */
  composite?: readonly PathNode[]
}

/**
 * Encodes a device's answer as a CoAP response: the node at `path` in its format, links in link
 * format, Location-Path for Create. A node that does not encode is answered 5.00 with the reason.
 */
export function toCoapResponse(response: DeviceResponse, path: LwM2mPath, models: ModelRegistry): CoapResponseInit {
  const code = coapCodeOf(response.code)
  const location = response.location ? { locationPath: response.location.split('/').filter((s) => s !== '') } : {}
  if (response.composite) {
    const format = response.format ?? ContentFormat.SENML_CBOR
    try {
      return { code, contentFormat: format, payload: encodeCompositeNodes(format, response.composite) }
    } catch (err) {
      if (!(err instanceof CodecError)) throw err
      return { code: coapCodeOf('INTERNAL_SERVER_ERROR'), payload: err.shortMessage }
    }
  }
  if (response.node) {
    const format = response.format ?? ContentFormat.TLV
    try {
      return { code, contentFormat: format, payload: codecFor(format).encode(response.node, path, models), ...location }
    } catch (err) {
      if (!(err instanceof CodecError)) throw err
      return { code: coapCodeOf('INTERNAL_SERVER_ERROR'), payload: err.shortMessage }
    }
  }
  if (response.links) return { code, contentFormat: ContentFormat.LINK, payload: formatLinks(response.links), ...location }
  if (response.errorMessage !== undefined && !code.startsWith('2.')) return { code, payload: response.errorMessage }
  return { code, ...location }
}

/**
 * The format a device answers a read in: the Accept the server asked for when the device speaks
 * it (undefined otherwise: answer NOT_ACCEPTABLE), else `fallback` (TLV by default).
 */
export function negotiateFormat(accept: number | undefined, supported: readonly number[], fallback: number = ContentFormat.TLV): number | undefined {
  if (accept === undefined) return fallback
  return supported.includes(accept) ? accept : undefined
}
