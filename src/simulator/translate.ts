/**
 * Device-side CoAP → LwM2M translation (LwM2M TS Transport §6): which operation a server's CoAP
 * request is, given whether it came over the bootstrap or the registration session.
 * Local until src/lwm2m/request/device-side.ts lands; kept to the Seam 1 request values.
 */
import { codecFor } from '../lwm2m/codec/index.js'
import { ContentFormat } from '../lwm2m/content-format.js'
import { CodecError, InvalidPathError } from '../lwm2m/errors.js'
import { parseAttributes, InvalidAttributesError } from '../lwm2m/link.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import type { LwM2mNode } from '../lwm2m/node.js'
import { parsePath, pathLevel, type LwM2mPath } from '../lwm2m/path.js'
import type { LwM2mRequest } from '../lwm2m/request/types.js'
import type { CoapRequest } from '../transport/index.js'

/** A request that is not a valid LwM2M operation: the CoAP code to answer and why. */
export interface TranslationError {
  readonly error: string
  readonly message: string
}

/** Which interface a request arrived on. */
export type SessionRole = 'bootstrap' | 'server'

/** Translates one CoAP request; a TranslationError says what to answer instead. */
export function translateRequest(req: CoapRequest, role: SessionRole, models: ModelRegistry): LwM2mRequest | TranslationError {
  let path: LwM2mPath
  try {
    if (role === 'bootstrap' && req.method === 'POST' && req.path.length === 1 && req.path[0] === 'bs') return { kind: 'bootstrapFinish' }
    path = parsePath(req.path.join('/'))
  } catch (err) {
    if (err instanceof InvalidPathError) return { error: '4.04', message: err.shortMessage }
    throw err
  }
  const level = pathLevel(path)
  const decode = (at: LwM2mPath) => decodeAt(req, at, models)
  if (role === 'bootstrap') {
    switch (req.method) {
      case 'GET':
        if (req.accept === ContentFormat.LINK) return { kind: 'bootstrapDiscover', path }
        return { kind: 'bootstrapRead', path, ...(req.accept !== undefined && { format: req.accept }) }
      case 'PUT': {
        if (level === 'root') return { error: '4.00', message: 'Bootstrap-Write needs an object path' }
        const d = decode(path)
        return 'error' in d ? d : { kind: 'bootstrapWrite', path, node: d.node, format: d.format }
      }
      case 'DELETE':
        return { kind: 'bootstrapDelete', path }
      default:
        return { error: '4.05', message: `${req.method} is not a bootstrap operation` }
    }
  }
  switch (req.method) {
    case 'GET':
      if (req.accept === ContentFormat.LINK) return { kind: 'discover', path }
      if (req.observe === 0) return { kind: 'observe', path, ...(req.accept !== undefined && { format: req.accept }) }
      return { kind: 'read', path, ...(req.accept !== undefined && { format: req.accept }) }
    case 'PUT': {
      if (level === 'root') return { error: '4.05', message: 'cannot write the root path' }
      if (req.payload.length === 0 && req.contentFormat === undefined) {
        try {
          return { kind: 'writeAttributes', path, attributes: parseAttributes(req.query) }
        } catch (err) {
          if (err instanceof InvalidAttributesError) return { error: '4.00', message: err.shortMessage }
          throw err
        }
      }
      if (level === 'object') return { error: '4.05', message: 'cannot write a whole object' }
      const d = decode(path)
      return 'error' in d ? d : { kind: 'write', path, mode: 'replace', node: d.node, format: d.format }
    }
    case 'POST': {
      if (level === 'root') return { error: '4.05', message: 'cannot POST on the root path' }
      if (level === 'resource') return { kind: 'execute', path, ...(req.payload.length > 0 && { args: new TextDecoder().decode(req.payload) }) }
      if (level === 'resourceInstance') return { error: '4.05', message: 'cannot execute a resource instance' }
      if (level === 'instance') {
        const d = decode(path)
        return 'error' in d ? d : { kind: 'write', path, mode: 'update', node: d.node, format: d.format }
      }
      // Create: the payload is an instance (with its id) or, from 1.0 servers, bare resources.
      let d = decode(path)
      if ('error' in d) {
        const bare = decodeAt(req, { objectId: path.objectId, instanceId: UNSPECIFIED_INSTANCE }, models)
        if ('error' in bare) return d
        d = bare
      }
      return { kind: 'create', path, node: d.node, format: d.format }
    }
    case 'DELETE':
      return { kind: 'delete', path }
    default:
      return { error: '4.05', message: `${req.method} is not an LwM2M operation` }
  }
}

/** An instance id no server picks: marks a Create payload whose instance id the device chooses. */
export const UNSPECIFIED_INSTANCE = 65534

function decodeAt(req: CoapRequest, path: LwM2mPath, models: ModelRegistry): { node: LwM2mNode; format: number } | TranslationError {
  const format = req.contentFormat ?? ContentFormat.TLV
  if (format === ContentFormat.LINK) return { error: '4.15', message: 'link format is not a node format' }
  let codec
  try {
    codec = codecFor(format)
  } catch {
    return { error: '4.15', message: `content format ${format} is not supported` }
  }
  try {
    return { node: codec.decode(req.payload, path, models), format }
  } catch (err) {
    if (err instanceof CodecError) return { error: '4.00', message: err.shortMessage }
    throw err
  }
}
