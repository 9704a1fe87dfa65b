/**
 * LwM2M requests and responses as values (Leshan's `ReadRequest`/`ReadResponse`...), independent
 * of CoAP: the server and bootstrap daemons build these, the translator turns them into CoAP.
 */
import type { TimestampedNode } from '../codec/index.js'
import type { PathNode } from '../codec/composite.js'
import type { OpaqueAlphabet } from '../codec/bytes-text.js'
import type { Link } from '../link.js'
import type { NotificationAttributes } from '../attributes.js'
import type { LwM2mNode } from '../node.js'
import type { LwM2mPath } from '../path.js'

/**
 * One request a server (or bootstrap server) sends to a device.
 *
 * - `format`: content format to ask for (reads) or to encode with (writes); when absent the sender
 *   chooses from the peer's LwM2M version and the formats it registered (TLV for 1.0).
 * - `write`: path is an instance or a resource (or resource instance); `node` is the node at that
 *   path. `replace` is PUT, `update` (partial update) is POST.
 * - `create`: path is the object (`/o`); `node` is the instance to create (its `id` is the instance
 *   id sent to the device), or an object node holding several instances. With `clientChoosesId`
 *   the payload carries only the resources (TLV only, as LwM2M 1.0 allows) and the device picks
 *   the id, answered in `location`; `node` is then an instance whose id is not sent.
 * - `bootstrapDelete`: path `{}` deletes everything the client may delete.
 * - `bootstrapWrite`: path is an object or an instance; node is the node at that path.
 * - `readComposite` / `writeComposite`: several paths (or nodes, each at its path) in one SenML
 *   request; `format` must be SenML JSON or CBOR (chosen from the registration when absent).
 * - `observeComposite`: Observe-Composite (TS Core §6.4.3), a FETCH / with Observe 0 and the paths
 *   as readComposite sends them; it goes through the sender's observe(), like `observe`.
 * - `opaqueAlphabet` (writes, creates): the base64 alphabet of SenML JSON "vd" values; when absent
 *   the sender uses what this endpoint last accepted, RFC 8428's base64url first (see sender.ts).
 */
export type LwM2mRequest =
  | { kind: 'read'; path: LwM2mPath; format?: number }
  | { kind: 'discover'; path: LwM2mPath }
  | { kind: 'write'; path: LwM2mPath; mode: 'replace' | 'update'; node: LwM2mNode; format?: number; opaqueAlphabet?: OpaqueAlphabet }
  | { kind: 'execute'; path: LwM2mPath; args?: string }
  | { kind: 'create'; path: LwM2mPath; node: LwM2mNode; format?: number; clientChoosesId?: boolean; opaqueAlphabet?: OpaqueAlphabet }
  | { kind: 'delete'; path: LwM2mPath }
  | { kind: 'writeAttributes'; path: LwM2mPath; attributes: NotificationAttributes }
  | { kind: 'observe'; path: LwM2mPath; format?: number }
  | { kind: 'bootstrapWrite'; path: LwM2mPath; node: LwM2mNode; format?: number; opaqueAlphabet?: OpaqueAlphabet }
  | { kind: 'bootstrapDelete'; path: LwM2mPath }
  | { kind: 'bootstrapDiscover'; path: LwM2mPath }
  | { kind: 'bootstrapRead'; path: LwM2mPath; format?: number }
  | { kind: 'bootstrapFinish' }
  | { kind: 'readComposite'; paths: readonly LwM2mPath[]; format?: number }
  | { kind: 'observeComposite'; paths: readonly LwM2mPath[]; format?: number }
  | { kind: 'writeComposite'; nodes: readonly PathNode[]; format?: number }

/** Composite operations (LwM2M 1.1 TS Core §6.3.4/§6.3.5/§6.4.3): FETCH / iPATCH on the root with SenML. */
export type CompositeRequest = Extract<LwM2mRequest, { kind: 'readComposite' | 'writeComposite' | 'observeComposite' }>

/** The requests that go through the sender's observe(): Observe and Observe-Composite. */
export type ObserveRequest = Extract<LwM2mRequest, { kind: 'observe' | 'observeComposite' }>

/** Requests that name one path (everything but Bootstrap-Finish and the composite operations). */
export type SinglePathRequest = Exclude<LwM2mRequest, CompositeRequest | { kind: 'bootstrapFinish' }>

export type LwM2mRequestKind = LwM2mRequest['kind']

/** The request of one kind, e.g. `RequestOf<'observe'>`. */
export type RequestOf<K extends LwM2mRequestKind> = Extract<LwM2mRequest, { kind: K }>

/** LwM2M response codes by name (CoAP codes in codes.ts); anything else is OTHER. */
export type ResponseCode =
  | 'CREATED'
  | 'DELETED'
  | 'CHANGED'
  | 'CONTENT'
  | 'CONTINUE'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'BAD_OPTION'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'REQUEST_ENTITY_INCOMPLETE'
  | 'PRECONDITION_FAILED'
  | 'REQUEST_ENTITY_TOO_LARGE'
  | 'UNSUPPORTED_CONTENT_FORMAT'
  | 'INTERNAL_SERVER_ERROR'
  | 'NOT_IMPLEMENTED'
  | 'SERVICE_UNAVAILABLE'
  | 'OTHER'

/**
 * The outcome of one request. LwM2M errors (4.04...) are values with `success: false`; a payload
 * that does not decode is also `success: false` with `errorMessage` (code kept as received).
 */
export interface LwM2mResponse {
  code: ResponseCode
  /** The CoAP code as received, e.g. "2.05". */
  coapCode: string
  success: boolean
  /** Decoded content at the request path (read, observe, bootstrapRead). */
  node?: LwM2mNode
  /** Discover / Bootstrap-Discover links. */
  links?: Link[]
  /** Create: the new instance's Location-Path, e.g. "/3303/1". */
  location?: string
  /** Diagnostic payload of an error response, or why a payload did not decode. */
  errorMessage?: string
  /** Content format of the payload that gave `node` / `links`. */
  format?: number
  /**
   * Observe notifications in SenML / LwM2M JSON that carry times (or a history of values): one
   * node per time, newest first. `node` is then the newest state.
   */
  timestamped?: TimestampedNode[]
  /** Read-Composite / Observe-Composite: one node per requested path the device answered for. */
  composite?: PathNode[]
  /**
   * Observe-Composite: the SenML time (bt + t, seconds) of each resource path whose record carried
   * one, e.g. {"/3303/0/5700": 1700000010}; the newest when a path has several records.
   */
  times?: Record<string, number>
}
