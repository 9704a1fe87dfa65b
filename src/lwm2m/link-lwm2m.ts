import { CodecError, InvalidPathError } from './errors.js'
import { MAX_ID, formatPath, parsePath, type LwM2mPath } from './path.js'
import { DEFAULT_LINK_LIMITS, formatLinks, parseLinks, type Link, type LinkAttributes, type LinkLimits } from './link-format.js'

/**
 * What LwM2M says with links: the objects a client registers (LwM2M TS Transport/Core §6.2.1,
 * e.g. `</>;rt="oma.lwm2m";ct=110,</1>;ver=1.1,</1/0>,</3/0>`) and the paths and attributes of a
 * Discover or Bootstrap-Discover response.
 */

/** One object or object instance a client registered. */
export interface RegisteredObject {
  readonly objectId: number
  readonly instanceId?: number
  /** Object version from `ver=`, when the client gave one. */
  readonly version?: string
}

/** The meaning of a Register or Update payload. */
export interface RegistrationLinks {
  /** Alternate root path, from `</path>;rt="oma.lwm2m"`; "/" when none. */
  readonly rootPath: string
  /** Content formats the client supports, from `ct=` on the root entry. */
  readonly contentFormats?: readonly number[]
  readonly objects: readonly RegisteredObject[]
}

const OBJECT_TARGET = /^\/(\d{1,5})(?:\/(\d{1,5}))?\/?$/
const VERSION = /^\d{1,3}\.\d{1,3}$/

/** Parses a Register/Update payload. Throws CodecError. */
export function parseRegistrationLinks(text: string, limits: LinkLimits = DEFAULT_LINK_LIMITS): RegistrationLinks {
  const links = parseLinks(text, limits)
  const roots = links.filter(isRootEntry)
  if (roots.length > 1) throw new CodecError('link', 'more than one rt="oma.lwm2m" root entry')
  const rootPath = roots.length === 1 ? normalizeRoot(roots[0].target) : '/'
  let contentFormats = roots.length === 1 ? readContentFormats(roots[0]) : undefined
  const objects: RegisteredObject[] = []
  for (const link of links) {
    if (roots.includes(link)) continue
    const relative = relativeTo(rootPath, link.target)
    if (relative === '/') {
      // A bare `</>;ct=...` (no rt) is how some clients announce their formats.
      contentFormats ??= readContentFormats(link)
      continue
    }
    const m = relative === undefined ? null : OBJECT_TARGET.exec(relative)
    const objectId = m ? Number(m[1]) : NaN
    const instanceId = m?.[2] === undefined ? undefined : Number(m[2])
    if (!m || objectId > MAX_ID || (instanceId !== undefined && instanceId > MAX_ID)) {
      throw new CodecError('link', `registered link <${link.target}> is not an object or object instance under ${rootPath}`)
    }
    const ver = link.attributes.ver
    if (ver !== undefined && (typeof ver !== 'string' || !VERSION.test(ver))) {
      throw new CodecError('link', `<${link.target}> has an invalid object version "${String(ver)}"`)
    }
    objects.push({ objectId, ...(instanceId !== undefined && { instanceId }), ...(ver !== undefined && { version: ver }) })
  }
  return { rootPath, ...(contentFormats && { contentFormats }), objects }
}

/** Writes a Register/Update payload (the root entry only when it says something). */
export function formatRegistrationLinks(reg: Partial<RegistrationLinks> & Pick<RegistrationLinks, 'objects'>): string {
  const root = reg.rootPath ?? '/'
  const links: Link[] = []
  if (root !== '/' || reg.contentFormats?.length) {
    const ct = reg.contentFormats ?? []
    links.push({
      target: root,
      attributes: { rt: 'oma.lwm2m', ...(ct.length === 1 ? { ct: ct[0] } : ct.length > 1 ? { ct: ct.join(' ') } : {}) },
    })
  }
  const prefix = root === '/' ? '' : root
  for (const o of reg.objects) {
    const path = formatPath({ objectId: o.objectId, ...(o.instanceId !== undefined && { instanceId: o.instanceId }) })
    links.push({ target: prefix + path, attributes: o.version ? { ver: o.version } : {} })
  }
  return formatLinks(links)
}

/** One entry of a Discover response: a path and its attributes (`dim`, `pmin`, `ver`, …). */
export interface DiscoverEntry {
  readonly path: LwM2mPath
  readonly attributes?: LinkAttributes
}

/** Writes a Discover or Bootstrap-Discover response. */
export function formatDiscoverLinks(entries: readonly DiscoverEntry[]): string {
  return formatLinks(entries.map((e) => ({ target: formatPath(e.path), attributes: e.attributes ?? {} })))
}

/** Parses a Discover or Bootstrap-Discover response; every target must be an LwM2M path. */
export function parseDiscoverLinks(text: string, limits: LinkLimits = DEFAULT_LINK_LIMITS): DiscoverEntry[] {
  return parseLinks(text, limits).map((link) => {
    try {
      return { path: parsePath(link.target), attributes: link.attributes }
    } catch (err) {
      if (err instanceof InvalidPathError) throw new CodecError('link', `<${link.target}> is not an LwM2M path`)
      throw err
    }
  })
}

function isRootEntry(link: Link): boolean {
  const rt = link.attributes.rt
  return typeof rt === 'string' && rt.split(/\s+/).includes('oma.lwm2m')
}

function normalizeRoot(target: string): string {
  const trimmed = target.replace(/\/+$/, '')
  if (!trimmed.startsWith('/') && trimmed !== '') {
    throw new CodecError('link', `root path <${target}> is not absolute`)
  }
  return trimmed === '' ? '/' : trimmed
}

/** The target relative to the root path ("/" for the root itself), or undefined when outside. */
function relativeTo(root: string, target: string): string | undefined {
  if (root === '/') return target === '' ? '/' : target
  if (target === root || target === root + '/') return '/'
  return target.startsWith(root + '/') ? target.slice(root.length) : undefined
}

function readContentFormats(link: Link): number[] | undefined {
  const ct = link.attributes.ct
  if (ct === undefined) return undefined
  const parts = typeof ct === 'number' ? [String(ct)] : typeof ct === 'string' ? ct.trim().split(/\s+/) : []
  if (parts.length === 0 || !parts.every((p) => /^\d{1,5}$/.test(p) && Number(p) <= 65535)) {
    throw new CodecError('link', `ct="${String(ct)}" is not a list of content formats`)
  }
  return parts.map(Number)
}
