import { LwchainError } from '../errors/base.js'

/**
 * Notification attributes of Write-Attributes (LwM2M TS Core §5.1.2, §6.3.4): the query
 * `?pmin=10&pmax=60&gt=40` sets them; a name without a value (`?pmin`) removes one (null here).
 */

/** Attributes a server may write. */
export const WRITABLE_ATTRIBUTES = ['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax'] as const
export type WritableAttribute = (typeof WRITABLE_ATTRIBUTES)[number]

/** A number sets the attribute, null removes it; absent ones are left alone. */
export type NotificationAttributes = { readonly [K in WritableAttribute]?: number | null }

const INTEGER_NAMES = new Set<string>(['pmin', 'pmax', 'epmin', 'epmax'])
const MAX_PARTS = 16
const MAX_PART_CHARS = 64
const INTEGER = /^\d{1,10}$/
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/

/** A Write-Attributes query that names an unknown attribute or gives an invalid value. */
export class InvalidAttributesError extends LwchainError {
  override name = 'InvalidAttributesError'
  constructor(reason: string) {
    super(`invalid Write-Attributes query: ${reason}`, { code: 'LWC_INVALID_ATTRIBUTES' })
  }
}

/** Parses Write-Attributes query parts (`["pmin=10", "gt=40"]` or `"pmin=10&gt=40"`). */
export function parseAttributes(query: readonly string[] | string): NotificationAttributes {
  const parts = typeof query === 'string' ? (query.replace(/^\?/, '') === '' ? [] : query.replace(/^\?/, '').split('&')) : query
  if (parts.length > MAX_PARTS) throw new InvalidAttributesError(`more than ${MAX_PARTS} attributes`)
  const out: Partial<Record<WritableAttribute, number | null>> = {}
  for (const part of parts) {
    if (part.length > MAX_PART_CHARS) throw new InvalidAttributesError(`"${part.slice(0, 20)}…" is too long`)
    const eq = part.indexOf('=')
    const name = eq < 0 ? part : part.slice(0, eq)
    if (!(WRITABLE_ATTRIBUTES as readonly string[]).includes(name)) {
      throw new InvalidAttributesError(`"${name}" is not a writable attribute (${WRITABLE_ATTRIBUTES.join(', ')})`)
    }
    const key = name as WritableAttribute
    if (key in out) throw new InvalidAttributesError(`"${name}" is given twice`)
    out[key] = eq < 0 ? null : parseNumber(key, part.slice(eq + 1))
  }
  checkConsistency(out)
  return out
}

/** Writes attributes as query parts, in the canonical order. */
export function formatAttributes(attributes: NotificationAttributes): string[] {
  checkConsistency(attributes)
  const parts: string[] = []
  for (const name of WRITABLE_ATTRIBUTES) {
    const v = attributes[name]
    if (v === undefined) continue
    if (v === null) {
      parts.push(name)
      continue
    }
    const text = Object.is(v, -0) ? '-0' : String(v)
    parseNumber(name, text)
    parts.push(`${name}=${text}`)
  }
  return parts
}

function parseNumber(name: WritableAttribute, text: string): number {
  if (INTEGER_NAMES.has(name)) {
    if (!INTEGER.test(text) || Number(text) > 0x7fff_ffff) {
      throw new InvalidAttributesError(`${name}=${text} is not a number of seconds`)
    }
    return Number(text)
  }
  const n = Number(text)
  if (!DECIMAL.test(text) || !Number.isFinite(n)) throw new InvalidAttributesError(`${name}=${text} is not a number`)
  if (name === 'st' && n < 0) throw new InvalidAttributesError(`st=${text} is negative`)
  return n
}

/** The rules of §5.1.2 between attributes given together. */
function checkConsistency(a: NotificationAttributes): void {
  const num = (v: number | null | undefined): v is number => typeof v === 'number'
  if (num(a.pmin) && num(a.pmax) && a.pmax < a.pmin) throw new InvalidAttributesError('pmax is less than pmin')
  if (num(a.epmin) && num(a.epmax) && a.epmax <= a.epmin) throw new InvalidAttributesError('epmax is not greater than epmin')
  if (num(a.lt) && num(a.gt)) {
    if (a.lt >= a.gt) throw new InvalidAttributesError('lt is not less than gt')
    if (num(a.st) && a.lt + 2 * a.st >= a.gt) throw new InvalidAttributesError('lt + 2 × st is not less than gt')
  }
}
