/**
 * POST /api/clients/{endpoint}/composite: the LwM2M 1.1 composite operations through REST.
 * `{paths: ["/3/0/0", "/3303/0"]}` is a Read-Composite (FETCH / with SenML) and answers the values
 * of all paths in one flat object; `{values: {"/3/0/14": "+02:00", ...}}` is a Write-Composite
 * (iPATCH /) of those resources. At most 100 paths, none twice; anything else is a 400.
 */
import type { FastifyInstance, onErrorAsyncHookHandler } from 'fastify'
import type { LwM2mServerPort } from '../port.js'
import { flattenNode, unflatten, type FlatValue } from '../../lwm2m/codec/index.js'
import type { PathNode } from '../../lwm2m/codec/composite.js'
import { FORMAT_NAMES } from '../../lwm2m/content-format.js'
import { CodecError, InvalidPathError } from '../../lwm2m/errors.js'
import type { ModelRegistry } from '../../lwm2m/model.js'
import { formatPath, parsePath, pathLevel, type LwM2mPath } from '../../lwm2m/path.js'
import { MAX_COMPOSITE_PATHS } from '../../lwm2m/request/translate.js'
import type { LwM2mRequest } from '../../lwm2m/request/types.js'
import { HttpError, throwIfFailed, toApiError } from '../errors.js'
import type { RoleGuard } from './clients.js'

export interface CompositeRoutesDeps {
  daemon: LwM2mServerPort
  models: ModelRegistry
  requireRole: RoleGuard
  /** Per-request timeout towards the device; default the daemon's CoAP timers. */
  requestTimeoutMs?: number
}

/** `{ error, message }`, or `{ requestId }` with 202 for a sleeping device's queued request. */
export const errorSchema = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } }, required: ['error', 'message'] }
/** What a composite route (Read-, Write-, Observe-Composite) answers besides its 200. */
export const compositeErrorResponses = { 202: errorSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 503: errorSchema, 504: errorSchema }
/**
 * onError hook of the composite routes: a refused request (400: too many paths, a path twice, a bad
 * value; fastify's body validation included) leaves one info line saying why. The reason names
 * paths at most, never values; the request line beside it has the URL with credentials masked.
 */
export const logCompositeRefusal: onErrorAsyncHookHandler = async (req, _reply, err) => {
  const { status, body } = toApiError(err)
  if (status !== 400) return
  const endpoint = (req.params as { endpoint?: string }).endpoint
  req.log.info({ endpoint, status, reason: body.message.slice(0, 200) }, 'composite request refused')
}
const NAME_BY_FORMAT = new Map<number, string>(Object.entries(FORMAT_NAMES).map(([k, v]) => [v, k]))

interface CompositeBody {
  paths?: string[]
  values?: Record<string, unknown>
  format?: 'senml-json' | 'senml-cbor'
}

/** Registers the composite route. */
export function registerCompositeRoutes(app: FastifyInstance, deps: CompositeRoutesDeps): void {
  const { daemon, models } = deps
  app.post<{ Params: { endpoint: string }; Body: CompositeBody }>(
    '/api/clients/:endpoint/composite',
    {
      preHandler: deps.requireRole('admin', 'application'),
      onError: logCompositeRefusal,
      schema: {
        tags: ['devices'],
        summary: 'Read-Composite ({paths}) or Write-Composite ({values}) in one SenML request (LwM2M 1.1)',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', properties: { endpoint: { type: 'string' } }, required: ['endpoint'] },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            // One more than allowed, so that the count gets our own clear message.
            paths: { type: 'array', items: { type: 'string', maxLength: 64 }, minItems: 1, maxItems: MAX_COMPOSITE_PATHS + 1 },
            values: { type: 'object', additionalProperties: true, minProperties: 1, maxProperties: MAX_COMPOSITE_PATHS + 1 },
            format: { type: 'string', enum: ['senml-json', 'senml-cbor'] },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              endpoint: { type: 'string' },
              paths: { type: 'array', items: { type: 'string' } },
              code: { type: 'string' },
              format: { type: 'string' },
              values: { type: 'object', additionalProperties: true },
            },
          },
          ...compositeErrorResponses,
        },
      },
    },
    async (req) => {
      const { endpoint } = req.params
      const body = req.body ?? {}
      if ((body.paths === undefined) === (body.values === undefined)) {
        throw new HttpError(400, 'bad_request', 'give either "paths" (Read-Composite) or "values" (Write-Composite)')
      }
      if (!daemon.registrations.byEndpoint(endpoint)) throw new HttpError(404, 'not_found', `client "${endpoint}" is not registered`)
      const format = body.format === undefined ? {} : { format: FORMAT_NAMES[body.format] }
      const opts = deps.requestTimeoutMs !== undefined ? { timeoutMs: deps.requestTimeoutMs } : undefined
      if (body.paths !== undefined) {
        const paths = parseCompositePaths(body.paths)
        const request: LwM2mRequest = { kind: 'readComposite', paths, ...format }
        const res = await daemon.send(endpoint, request, opts)
        throwIfFailed(res, `read-composite of ${paths.length} paths`)
        const values = flattenComposite(res.composite)
        return {
          endpoint,
          paths: paths.map(formatPath),
          code: res.coapCode,
          ...(res.format !== undefined && { format: NAME_BY_FORMAT.get(res.format) ?? String(res.format) }),
          values,
        }
      }
      const nodes = valueNodes(body.values!, models)
      const res = await daemon.send(endpoint, { kind: 'writeComposite', nodes, ...format }, opts)
      throwIfFailed(res, `write-composite of ${nodes.length} resources`)
      return { endpoint, paths: nodes.map(([p]) => formatPath(p)), code: res.coapCode }
    },
  )
}

function badPath(text: string, why: string): never {
  throw new HttpError(400, 'bad_request', `"${text}" ${why}`)
}

/** The paths of a composite request, checked: at most MAX_COMPOSITE_PATHS, LwM2M paths, not the root, none twice (400 otherwise). */
/** The values of a composite answer ([path, node] pairs) as one flat {path: value} object. */
export function flattenComposite(composite: readonly PathNode[] | undefined): Record<string, FlatValue> {
  const values: Record<string, FlatValue> = {}
  for (const [p, node] of composite ?? []) Object.assign(values, flattenNode(node, p))
  return values
}

export function parseCompositePaths(texts: readonly string[]): LwM2mPath[] {
  if (texts.length > MAX_COMPOSITE_PATHS) throw new HttpError(400, 'bad_request', `a composite request names at most ${MAX_COMPOSITE_PATHS} paths, not ${texts.length}`)
  const seen = new Set<string>()
  return texts.map((t) => {
    let p: LwM2mPath
    try {
      p = parsePath(t)
    } catch (err) {
      if (err instanceof InvalidPathError) badPath(t, 'is not an LwM2M path')
      throw err
    }
    if (pathLevel(p) === 'root') badPath(t, 'is the root path: name objects, instances or resources')
    const key = formatPath(p)
    if (seen.has(key)) badPath(t, 'is named twice')
    seen.add(key)
    return p
  })
}

/** `{"/3/0/14": "+02:00"}` → one resource node per key, typed by the object model. */
function valueNodes(values: Record<string, unknown>, models: ModelRegistry): PathNode[] {
  const keys = Object.keys(values)
  const paths = parseCompositePaths(keys)
  return paths.map((p, i) => {
    const level = pathLevel(p)
    if (level !== 'resource' && level !== 'resourceInstance') badPath(keys[i], 'is not a resource path: Write-Composite writes resources')
    try {
      return [p, unflatten({ [formatPath(p)]: values[keys[i]] }, p, models)] as const
    } catch (err) {
      if (err instanceof CodecError) throw new HttpError(400, 'bad_request', `${keys[i]}: ${err.shortMessage}`)
      throw err
    }
  })
}
