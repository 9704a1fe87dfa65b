import { XMLParser, XMLValidator } from 'fast-xml-parser'
import type { ResourceType } from '../node.js'
import type { ObjectModel, ResourceModel, ResourceOperations } from '../model.js'
import { MAX_ID } from '../path.js'
import { InvalidModelError } from './errors.js'

/**
 * Reads OMA DDF XML (LWM2M.xsd, the format of the OMA LwM2M registry and of Leshan's model
 * directories): `<LWM2M><Object>…<Resources><Item ID="…">…</Item></Resources></Object></LWM2M>`.
 */

/** Largest DDF document accepted (the biggest registry files are well under 1 MiB). */
export const MAX_DDF_CHARS = 4 * 1024 * 1024

const TYPES: Record<string, ResourceType> = {
  string: 'string',
  integer: 'integer',
  'unsigned integer': 'unsigned',
  float: 'float',
  boolean: 'boolean',
  opaque: 'opaque',
  time: 'time',
  objlnk: 'objlnk',
  corelnk: 'corelnk',
  '': 'none',
}

const OPERATIONS: Record<string, ResourceOperations> = { '': 'NONE', R: 'R', W: 'W', RW: 'RW', E: 'E' }

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name, jpath) => jpath === 'LWM2M.Object' || jpath === 'LWM2M.Object.Resources.Item',
})

/** Parses one DDF document into its object models. Throws InvalidModelError. */
export function parseDdf(xml: string, source?: string): ObjectModel[] {
  const fail = (reason: string, cause?: unknown): never => {
    throw new InvalidModelError(reason, { source, cause })
  }
  if (typeof xml !== 'string') fail('not text')
  if (xml.length > MAX_DDF_CHARS) fail(`document is larger than ${MAX_DDF_CHARS} characters`)
  // DDF files never need a DTD; refusing one rules out entity-expansion tricks.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) fail('DOCTYPE and ENTITY declarations are not allowed')
  const text = xml.replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '')
  const valid = XMLValidator.validate(text)
  if (valid !== true) fail(`malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`)
  let doc: Record<string, unknown>
  try {
    doc = parser.parse(text) as Record<string, unknown>
  } catch (err) {
    return fail('malformed XML', err)
  }
  const root = doc.LWM2M
  if (!isRecord(root)) return fail('no <LWM2M> root element')
  const objects = root.Object
  if (!Array.isArray(objects) || objects.length === 0) return fail('no <Object> element')
  const seen = new Set<number>()
  return objects.map((o, i) => {
    const model = parseObject(o, `object #${i + 1}`, fail)
    if (seen.has(model.id)) fail(`object ${model.id} is defined twice`)
    seen.add(model.id)
    return model
  })
}

type Fail = (reason: string) => never

function parseObject(o: unknown, where: string, fail: Fail): ObjectModel {
  if (!isRecord(o)) return fail(`${where} is empty`)
  const id = parseId(field(o, 'ObjectID', where, fail), `${where} <ObjectID>`, fail)
  const at = `object ${id}`
  const resources = new Map<number, ResourceModel>()
  const res = o.Resources
  const items = isRecord(res) ? res.Item : undefined
  if (res !== undefined && res !== '' && !isRecord(res)) fail(`${at}: <Resources> is malformed`)
  for (const item of Array.isArray(items) ? items : []) {
    const r = parseResource(item, at, fail)
    if (resources.has(r.id)) fail(`${at}: resource ${r.id} is defined twice`)
    resources.set(r.id, r)
  }
  const version = optional(o, 'ObjectVersion', at, fail)
  const lwm2mVersion = optional(o, 'LWM2MVersion', at, fail)
  const urn = optional(o, 'ObjectURN', at, fail)
  const description = optional(o, 'Description1', at, fail)
  return Object.freeze({
    id,
    name: field(o, 'Name', at, fail),
    version: version || '1.0',
    ...(lwm2mVersion && { lwm2mVersion }),
    multiple: parseMultiplicity(field(o, 'MultipleInstances', at, fail), at, fail),
    mandatory: parseMandatory(field(o, 'Mandatory', at, fail), at, fail),
    ...(urn && { urn }),
    ...(description && { description }),
    resources,
  })
}

function parseResource(item: unknown, objectWhere: string, fail: Fail): ResourceModel {
  if (!isRecord(item)) return fail(`${objectWhere}: an <Item> is empty`)
  const id = parseId(item['@_ID'], `${objectWhere} <Item ID>`, fail)
  const at = `${objectWhere} resource ${id}`
  const typeText = optional(item, 'Type', at, fail)
  const type = TYPES[typeText.toLowerCase()]
  if (type === undefined) fail(`${at}: unknown <Type> "${typeText}"`)
  const opsText = optional(item, 'Operations', at, fail).toUpperCase()
  const operations = OPERATIONS[opsText]
  if (operations === undefined) fail(`${at}: unknown <Operations> "${opsText}"`)
  const rangeEnumeration = optional(item, 'RangeEnumeration', at, fail)
  const units = optional(item, 'Units', at, fail)
  const description = optional(item, 'Description', at, fail)
  return Object.freeze({
    id,
    name: field(item, 'Name', at, fail),
    operations,
    multiple: parseMultiplicity(field(item, 'MultipleInstances', at, fail), at, fail),
    mandatory: parseMandatory(field(item, 'Mandatory', at, fail), at, fail),
    type,
    ...(rangeEnumeration && { rangeEnumeration }),
    ...(units && { units }),
    ...(description && { description }),
  })
}

function parseId(value: unknown, where: string, fail: Fail): number {
  const text = typeof value === 'string' ? value.trim() : ''
  if (!/^\d{1,5}$/.test(text) || Number(text) > MAX_ID) return fail(`${where} "${String(value)}" is not an id 0..${MAX_ID}`)
  return Number(text)
}

function parseMultiplicity(text: string, where: string, fail: Fail): boolean {
  const t = text.toLowerCase()
  if (t === 'multiple') return true
  if (t === 'single') return false
  return fail(`${where}: <MultipleInstances> is "${text}", not Single or Multiple`)
}

function parseMandatory(text: string, where: string, fail: Fail): boolean {
  const t = text.toLowerCase()
  if (t === 'mandatory') return true
  if (t === 'optional') return false
  return fail(`${where}: <Mandatory> is "${text}", not Mandatory or Optional`)
}

/** A required child element's text. */
function field(o: Record<string, unknown>, name: string, where: string, fail: Fail): string {
  if (!(name in o)) return fail(`${where}: missing <${name}>`)
  return optional(o, name, where, fail)
}

/** An optional child element's text ('' when absent or empty). */
function optional(o: Record<string, unknown>, name: string, where: string, fail: Fail): string {
  const v = o[name]
  if (v === undefined || v === '') return ''
  if (typeof v === 'string') return v
  return fail(`${where}: <${name}> must appear once and hold text`)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
