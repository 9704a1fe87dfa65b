/**
 * What the device does with each LwM2M request a server sends (Device Management and Bootstrap
 * interfaces), on its object tree. Outcomes are CoAP responses; nothing here throws on bad input.
 */
import { isFormatSupported, type LwM2mVersion } from '../lwm2m/codec/index.js'
import { ContentFormat } from '../lwm2m/content-format.js'
import type { Link, LinkAttributes } from '../lwm2m/link.js'
import type { LwM2mNode } from '../lwm2m/node.js'
import { formatPath, pathLevel, type LwM2mPath } from '../lwm2m/path.js'
import { responseCodeOf } from '../lwm2m/request/codes.js'
import type { DeviceResponse } from '../lwm2m/request/device-side.js'
import type { LwM2mRequest } from '../lwm2m/request/types.js'
import type { CoapObserveRelation } from '../transport/index.js'
import type { AttributeStore } from './attributes-store.js'
import { BOOTSTRAP_SECURITY_INSTANCE, serverAccounts } from './default-objects.js'
import type { ObjectTree } from './object-tree.js'
import type { Observations } from './observations.js'

/** Object versions the device announces, per LwM2M version (absent = 1.0). */
export const OBJECT_VERSIONS: Record<'1.0' | '1.1', Readonly<Record<number, string>>> = {
  '1.0': {},
  '1.1': { 1: '1.1' },
}

/** Objects the device implements, listed by Bootstrap-Discover even without instances. */
export const SUPPORTED_OBJECTS = [0, 1, 3, 3303] as const

/** What serving needs from the device around it. */
export interface ServeContext {
  readonly tree: ObjectTree
  readonly version: '1.0' | '1.1'
  readonly attributes: AttributeStore
  readonly observations: Observations
  /** Executes a resource; returns the CoAP code (2.04, 4.05...). */
  execute(path: LwM2mPath, args: string | undefined): string
}

/** An answer with only a code (given as CoAP "4.04" or by name). */
function answer(code: string, errorMessage?: string): DeviceResponse {
  return { code: responseCodeOf(code), ...(errorMessage && { errorMessage }) }
}

/** Formats that carry only a single value (a resource or resource instance). */
const SINGLE_VALUE_FORMATS: ReadonlySet<number> = new Set([ContentFormat.TEXT, ContentFormat.OPAQUE, ContentFormat.CBOR])

/** A read of `path` as content in `format` (TLV by default), or the error to answer (4.06...). */
export function contentResponse(ctx: ServeContext, path: LwM2mPath, format: number | undefined, by: 'server' | 'bootstrap'): DeviceResponse {
  const read = ctx.tree.read(path, by)
  if ('code' in read) return answer(read.code)
  const f = format ?? ContentFormat.TLV
  if (!isFormatSupported(ctx.version as LwM2mVersion, f)) return answer('4.06', `content format ${f} is not supported`)
  if (SINGLE_VALUE_FORMATS.has(f) && read.node.kind !== 'resource' && read.node.kind !== 'resourceInstance') {
    return answer('4.06', `content format ${f} carries a single value`)
  }
  const type = 'type' in read.node ? read.node.type : undefined
  if (f === ContentFormat.OPAQUE && type !== 'opaque') return answer('4.06', 'only opaque resources read as opaque')
  // LwM2M 1.1 reads opaque as base64 text; 1.0 knows no such thing.
  if (f === ContentFormat.TEXT && type === 'opaque' && ctx.version === '1.0') return answer('4.06', 'opaque resources do not read as text in 1.0')
  return { code: 'CONTENT', node: read.node, format: f }
}

/** Serves one Device Management request from an LwM2M server. */
export function serveDm(ctx: ServeContext, req: LwM2mRequest, acceptObserve?: () => CoapObserveRelation): DeviceResponse {
  const { tree } = ctx
  if ('path' in req && req.path.objectId === 0) return answer('4.01') // Security is for bootstrap only.
  if (!speaks(ctx, req)) return answer('4.15', `content format ${(req as { format: number }).format} is not one LwM2M ${ctx.version} speaks`)
  switch (req.kind) {
    case 'read':
      if (pathLevel(req.path) === 'root') return answer('4.05')
      return contentResponse(ctx, req.path, req.format, 'server')
    case 'observe': {
      if (pathLevel(req.path) === 'root') return answer('4.05')
      const res = contentResponse(ctx, req.path, req.format, 'server')
      if (res.code === 'CONTENT' && acceptObserve) ctx.observations.add(req.path, res.format ?? ContentFormat.TLV, acceptObserve())
      return res
    }
    case 'discover':
      return discover(ctx, req.path)
    case 'write': {
      const code = tree.write(req.path, req.node, req.mode)
      return answer(code)
    }
    case 'execute': {
      const { objectId, instanceId, resourceId } = req.path
      if (!tree.hasInstance(objectId as number, instanceId as number)) return answer('4.04')
      const model = tree.models.getResource(objectId as number, resourceId as number)
      if (!model) return answer('4.04')
      if (model.operations !== 'E') return answer('4.05')
      return answer(ctx.execute(req.path, req.args))
    }
    case 'create': {
      const objectId = req.path.objectId as number
      const { code, instanceIds } = tree.create(objectId, req.node)
      if (code !== '2.01') return answer(code)
      return { code: 'CREATED', location: `/${objectId}/${instanceIds[0]}` }
    }
    case 'delete': {
      if (pathLevel(req.path) !== 'instance') return answer('4.05')
      if (req.path.objectId === 3 || req.path.objectId === 1) return answer('4.05')
      const code = tree.delete(req.path)
      if (code === '2.02') ctx.attributes.removeBelow(req.path)
      return answer(code)
    }
    case 'readComposite':
      return compositeResponse(ctx, req.paths, req.format)
    case 'observeComposite': {
      // The first answer is a Read-Composite of the paths; later ones come when any of them changes.
      const res = compositeResponse(ctx, req.paths, req.format)
      if (res.code === 'CONTENT' && acceptObserve) ctx.observations.addComposite(req.paths, res.format ?? ContentFormat.SENML_CBOR, acceptObserve())
      return res
    }
    case 'writeComposite': {
      // Checked first, so that a refused value changes nothing.
      for (const [p] of req.nodes) {
        const model = p.objectId === 0 ? undefined : tree.models.getResource(p.objectId as number, p.resourceId as number)
        if (!model || !tree.hasInstance(p.objectId as number, p.instanceId as number)) return answer('4.04', `${formatPath(p)} is not a resource here`)
        if (!model.operations.includes('W')) return answer('4.05', `${formatPath(p)} is not writable`)
      }
      for (const [p, node] of req.nodes) {
        const code = tree.write(p, node, 'replace')
        if (!code.startsWith('2.')) return answer(code)
      }
      return answer('2.04')
    }
    case 'writeAttributes': {
      if (pathLevel(req.path) === 'root') return answer('4.05')
      if (!exists(tree, req.path)) return answer('4.04')
      ctx.attributes.write(req.path, req.attributes)
      ctx.observations.attributesChanged(req.path)
      return answer('2.04')
    }
    default:
      return answer('4.05')
  }
}

/**
 * A Read-Composite of `paths` in SenML `format` (CBOR by default). Paths the device cannot read
 * are left out; none readable at all is 4.04 (as Leshan's client).
 */
export function compositeResponse(ctx: ServeContext, paths: readonly LwM2mPath[], format = ContentFormat.SENML_CBOR as number): DeviceResponse {
  const nodes: [LwM2mPath, LwM2mNode][] = []
  if (!isFormatSupported(ctx.version as LwM2mVersion, format) || (format !== ContentFormat.SENML_JSON && format !== ContentFormat.SENML_CBOR)) {
    return answer('4.06', `content format ${format} does not carry a composite read`)
  }
  for (const p of paths) {
    if (p.objectId === 0) continue
    const read = ctx.tree.read(p, 'server')
    if ('node' in read) nodes.push([p, read.node])
  }
  return nodes.length === 0 ? answer('4.04') : { code: 'CONTENT', composite: nodes, format }
}

/** Serves one Bootstrap-Interface request. Bootstrap-Finish is answered by the device itself. */
export function serveBootstrap(ctx: ServeContext, req: LwM2mRequest): DeviceResponse {
  const { tree } = ctx
  if (!speaks(ctx, req)) return answer('4.15', `content format ${(req as { format: number }).format} is not one LwM2M ${ctx.version} speaks`)
  switch (req.kind) {
    case 'bootstrapWrite': {
      const objectId = req.path.objectId as number
      if (!tree.models.getObject(objectId)) return answer('4.04')
      if (objectId === 0 && req.path.instanceId === BOOTSTRAP_SECURITY_INSTANCE && isBootstrapInstance(tree, BOOTSTRAP_SECURITY_INSTANCE)) {
        // Rewriting the bootstrap account itself is allowed only as a bootstrap account.
        const b = flagOf(req.node)
        if (b === false) return answer('4.00')
      }
      return answer(tree.write(req.path, req.node, 'bootstrap'))
    }
    case 'bootstrapDelete':
      return answer(bootstrapDelete(ctx, req.path))
    case 'bootstrapDiscover':
      return bootstrapDiscover(ctx, req.path)
    case 'bootstrapRead': {
      // LwM2M 1.1 §5.2.7.6: only the Server (and Access Control) objects can be read.
      if (req.path.objectId !== 1 && req.path.objectId !== 2) return answer('4.00')
      return contentResponse(ctx, req.path, req.format, 'bootstrap')
    }
    default:
      return answer('4.05')
  }
}

/** Checks what Bootstrap-Finish needs: at least one server account (Security + Server pair). */
export function finishCode(ctx: ServeContext): string {
  return serverAccounts(ctx.tree).length > 0 ? '2.04' : '4.06'
}

function bootstrapDelete(ctx: ServeContext, path: LwM2mPath): string {
  const { tree } = ctx
  const level = pathLevel(path)
  if (level === 'resource' || level === 'resourceInstance') return '4.00'
  if (path.objectId === 3) return '4.00' // the Device object cannot be deleted
  // Naming our own bootstrap account is refused (as Leshan does); wider deletes skip it.
  if (path.objectId === 0 && path.instanceId !== undefined && isBootstrapInstance(tree, path.instanceId)) return '4.00'
  const objects = level === 'root' ? tree.objectIds().filter((o) => o !== 3 && o !== 3303) : [path.objectId as number]
  for (const objectId of objects) {
    const ids = path.instanceId === undefined ? tree.instanceIds(objectId) : [path.instanceId]
    for (const instanceId of ids) {
      if (objectId === 0 && isBootstrapInstance(tree, instanceId)) continue // never our own account
      tree.removeInstance(objectId, instanceId)
      ctx.attributes.removeBelow({ objectId, instanceId })
    }
  }
  return '2.02'
}

function bootstrapDiscover(ctx: ServeContext, path: LwM2mPath): DeviceResponse {
  const { tree, version } = ctx
  if (pathLevel(path) !== 'root' && pathLevel(path) !== 'object') return answer('4.00')
  const objects = path.objectId === undefined ? [...new Set([...SUPPORTED_OBJECTS, ...tree.objectIds()])].sort((a, b) => a - b) : [path.objectId]
  if (path.objectId !== undefined && !tree.models.getObject(path.objectId)) return answer('4.04')
  const entries: DiscoverEntry[] = []
  for (const objectId of objects) {
    const ver = OBJECT_VERSIONS[version][objectId]
    const instances = tree.instanceIds(objectId)
    if (ver || instances.length === 0) entries.push({ path: { objectId }, ...(ver && { attributes: { ver } }) })
    for (const instanceId of instances) entries.push({ path: { objectId, instanceId }, attributes: bootstrapAttributes(tree, objectId, instanceId, version) })
  }
  const root: Link[] = path.objectId === undefined ? [{ target: '/', attributes: { lwm2m: version } }] : []
  return { code: 'CONTENT', links: [...root, ...toLinks(entries)] }
}

function bootstrapAttributes(tree: ObjectTree, objectId: number, instanceId: number, version: string): LinkAttributes {
  const out: Record<string, string | number> = {}
  if (objectId === 0 && !isBootstrapInstance(tree, instanceId)) {
    const ssid = tree.value(0, instanceId, 10)
    const uri = tree.value(0, instanceId, 0)
    if (typeof ssid === 'number') out.ssid = ssid
    if (version !== '1.0' && typeof uri === 'string') out.uri = uri
  }
  if (objectId === 1) {
    const ssid = tree.value(1, instanceId, 0)
    if (typeof ssid === 'number') out.ssid = ssid
  }
  return out
}

function discover(ctx: ServeContext, path: LwM2mPath): DeviceResponse {
  const { tree, attributes } = ctx
  const level = pathLevel(path)
  if (level === 'root' || level === 'resourceInstance') return answer('4.05')
  if (!exists(tree, path)) return answer('4.04')
  const objectId = path.objectId as number
  const entries: DiscoverEntry[] = []
  const attrs = (p: LwM2mPath, extra: Record<string, string | number> = {}): LinkAttributes => ({ ...extra, ...(attributes.at(p) as Record<string, number>) })
  const addResources = (instanceId: number): void => {
    const read = tree.read({ objectId, instanceId }, 'bootstrap')
    if (!('node' in read) || read.node.kind !== 'instance') return
    const model = tree.models.getObject(objectId)
    const ids = new Set([...read.node.resources.keys(), ...[...(model?.resources.values() ?? [])].filter((r) => r.operations === 'E').map((r) => r.id)])
    for (const rid of [...ids].sort((a, b) => a - b)) {
      if (path.resourceId !== undefined && rid !== path.resourceId) continue
      const r = read.node.resources.get(rid)
      const p = { objectId, instanceId, resourceId: rid }
      entries.push({ path: p, attributes: attrs(p, r?.kind === 'multipleResource' ? { dim: r.instances.size } : {}) })
    }
  }
  if (level === 'object') {
    const ver = OBJECT_VERSIONS[ctx.version][objectId]
    entries.push({ path: { objectId }, attributes: attrs({ objectId }, ver ? { ver } : {}) })
    for (const instanceId of tree.instanceIds(objectId)) {
      entries.push({ path: { objectId, instanceId }, attributes: attrs({ objectId, instanceId }) })
      addResources(instanceId)
    }
  } else {
    const instanceId = path.instanceId as number
    if (level === 'instance') entries.push({ path: { objectId, instanceId }, attributes: attrs({ objectId, instanceId }) })
    addResources(instanceId)
  }
  return { code: 'CONTENT', links: toLinks(entries) }
}

function exists(tree: ObjectTree, path: LwM2mPath): boolean {
  const { objectId, instanceId, resourceId } = path
  if (objectId === undefined) return true
  if (instanceId === undefined) return tree.models.getObject(objectId) !== undefined && (tree.instanceIds(objectId).length > 0 || (SUPPORTED_OBJECTS as readonly number[]).includes(objectId))
  if (!tree.hasInstance(objectId, instanceId)) return false
  if (resourceId === undefined) return true
  const model = tree.models.getResource(objectId, resourceId)
  if (model?.operations === 'E') return true
  return 'node' in tree.read({ objectId, instanceId, resourceId }, 'bootstrap')
}

/** Whether the payload of a write/create is in a format this device's LwM2M version speaks. */
function speaks(ctx: ServeContext, req: LwM2mRequest): boolean {
  if (req.kind === 'readComposite' || req.kind === 'writeComposite' || req.kind === 'observeComposite') return ctx.version !== '1.0'
  const carriesPayload = req.kind === 'write' || req.kind === 'create' || req.kind === 'bootstrapWrite'
  return !carriesPayload || req.format === undefined || isFormatSupported(ctx.version as LwM2mVersion, req.format)
}

function isBootstrapInstance(tree: ObjectTree, instanceId: number): boolean {
  return tree.value(0, instanceId, 1) === true
}

function flagOf(node: LwM2mNode): boolean | undefined {
  const r = node.kind === 'instance' ? node.resources.get(1) : node.kind === 'resource' && node.id === 1 ? node : undefined
  return r?.kind === 'resource' && typeof r.value === 'boolean' ? r.value : undefined
}

interface DiscoverEntry {
  readonly path: LwM2mPath
  readonly attributes?: LinkAttributes
}

function toLinks(entries: readonly DiscoverEntry[]): Link[] {
  return entries.map((e) => ({ target: formatPath(e.path), attributes: e.attributes ?? {} }))
}

