import { CodecError } from './errors.js'

/**
 * The CoRE link format (RFC 6690, content format 40) as LwM2M uses it in Register/Update payloads,
 * Discover and Bootstrap-Discover responses: `</3/0>;ver=1.1,</3303/0/5700>;pmin=10;gt=40`.
 * Quoted values are unquoted; the numeric LwM2M attributes, when written unquoted, become numbers;
 * a parameter without a value is `true`. Malformed text is a CodecError with its offset.
 */

export type LinkAttributeValue = string | number | true
export type LinkAttributes = Readonly<Record<string, LinkAttributeValue>>

export interface Link {
  readonly target: string
  readonly attributes: LinkAttributes
}

export interface LinkLimits {
  /** Longest payload, in characters. */
  readonly maxChars: number
  /** Most links in one payload. */
  readonly maxLinks: number
  /** Most parameters on one link. */
  readonly maxAttributes: number
}

/** 64 KiB, 4096 links of up to 32 parameters: far above what a device registers. */
export const DEFAULT_LINK_LIMITS: LinkLimits = Object.freeze({ maxChars: 64 * 1024, maxLinks: 4096, maxAttributes: 32 })

/** LwM2M attributes whose unquoted value is an integer (LwM2M TS Core §5.1.2, §6.2.1). */
export const INTEGER_ATTRIBUTES: ReadonlySet<string> = new Set(['ct', 'pmin', 'pmax', 'dim', 'ssid', 'epmin', 'epmax'])
/** LwM2M attributes whose unquoted value is a decimal number. */
export const NUMBER_ATTRIBUTES: ReadonlySet<string> = new Set(['gt', 'lt', 'st'])
/** Parameters RFC 6690 writes as quoted strings even when they would be valid tokens. */
const ALWAYS_QUOTED = new Set(['rt', 'if', 'anchor', 'title', 'rel', 'rev', 'type'])

const NAME = /[A-Za-z0-9!#$&+\-.^_`|~*]+/y
const PTOKEN = /[!#$%&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]+/y
const PTOKEN_WHOLE = /^[!#$%&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]+$/
const NAME_WHOLE = /^[A-Za-z0-9!#$&+\-.^_`|~*]+$/
const TARGET = /^[\x21-\x7e]*$/
const INTEGER = /^\d{1,10}$/
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/

/** Parses a link-format payload. An empty payload has no links. Throws CodecError. */
export function parseLinks(text: string, limits: LinkLimits = DEFAULT_LINK_LIMITS): Link[] {
  const fail = (reason: string, offset: number): never => {
    throw new CodecError('link', reason, offset)
  }
  if (text.length > limits.maxChars) fail(`payload is longer than ${limits.maxChars} characters`, limits.maxChars)
  const links: Link[] = []
  let pos = skipSpace(text, 0)
  while (pos < text.length) {
    if (text[pos] !== '<') fail(`expected "<" to open a link`, pos)
    const close = text.indexOf('>', pos + 1)
    if (close < 0) fail('unterminated link target', pos)
    const target = text.slice(pos + 1, close)
    if (!TARGET.test(target)) fail('link target holds a space, control or non-ASCII character', pos + 1)
    if (/[<"]/.test(target)) fail('link target holds "<" or a quote', pos + 1)
    pos = close + 1
    const attributes = new Map<string, LinkAttributeValue>()
    while (text[pos] === ';') {
      const nameAt = ++pos
      NAME.lastIndex = pos
      const name = NAME.exec(text)?.[0]
      if (name === undefined) return fail('expected a parameter name', pos)
      pos += name.length
      let value: LinkAttributeValue = true
      if (text[pos] === '=') {
        pos++
        if (text[pos] === '"') {
          const [unquoted, next] = readQuoted(text, pos, fail)
          value = unquoted
          pos = next
        } else {
          PTOKEN.lastIndex = pos
          const token = PTOKEN.exec(text)?.[0]
          if (token === undefined) return fail(`expected a value for "${name}"`, pos)
          value = typedValue(name, token, nameAt, fail)
          pos += token.length
        }
      }
      if (attributes.has(name)) fail(`parameter "${name}" appears twice`, nameAt)
      if (attributes.size >= limits.maxAttributes) fail(`more than ${limits.maxAttributes} parameters on one link`, nameAt)
      attributes.set(name, value)
    }
    if (links.length >= limits.maxLinks) fail(`more than ${limits.maxLinks} links`, pos)
    // fromEntries defines own properties, so a parameter named __proto__ stays a plain key.
    links.push({ target, attributes: Object.fromEntries(attributes) })
    pos = skipSpace(text, pos)
    if (pos >= text.length) break
    if (text[pos] !== ',') fail('expected "," between links', pos)
    pos = skipSpace(text, pos + 1)
    if (pos >= text.length) fail('expected a link after ","', pos)
  }
  return links
}

/** Writes links in the link format. Throws CodecError on a value the format cannot carry. */
export function formatLinks(links: readonly Link[]): string {
  return links
    .map((link) => {
      if (!TARGET.test(link.target) || /[<>"]/.test(link.target)) {
        throw new CodecError('link', `link target "${link.target}" cannot be written`)
      }
      let out = `<${link.target}>`
      for (const [name, value] of Object.entries(link.attributes)) {
        if (!NAME_WHOLE.test(name)) throw new CodecError('link', `parameter name "${name}" cannot be written`)
        out += ';' + name + formatValue(name, value)
      }
      return out
    })
    .join(',')
}

function formatValue(name: string, value: LinkAttributeValue): string {
  if (value === true) return ''
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CodecError('link', `parameter "${name}" is not a finite number`)
    return '=' + (Object.is(value, -0) ? '-0' : String(value))
  }
  if (typeof value !== 'string') throw new CodecError('link', `parameter "${name}" has an unsupported value`)
  // A numeric attribute given as a string is quoted, so it reads back as the same string.
  const bare = PTOKEN_WHOLE.test(value) && !ALWAYS_QUOTED.has(name) && !INTEGER_ATTRIBUTES.has(name) && !NUMBER_ATTRIBUTES.has(name)
  if (bare) return '=' + value
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) throw new CodecError('link', `parameter "${name}" holds a control character`)
  return '="' + value.replace(/[\\"]/g, (c) => '\\' + c) + '"'
}

function typedValue(name: string, token: string, offset: number, fail: (r: string, o: number) => never): LinkAttributeValue {
  if (INTEGER_ATTRIBUTES.has(name)) {
    if (!INTEGER.test(token) || Number(token) > 0x7fff_ffff) fail(`"${name}=${token}" is not a non-negative integer`, offset)
    return Number(token)
  }
  if (NUMBER_ATTRIBUTES.has(name)) {
    const n = Number(token)
    if (!DECIMAL.test(token) || !Number.isFinite(n)) fail(`"${name}=${token}" is not a number`, offset)
    return n
  }
  return token
}

/** Reads a quoted-string (RFC 7230 §3.2.6) starting at the opening quote. */
function readQuoted(text: string, start: number, fail: (r: string, o: number) => never): [string, number] {
  let out = ''
  let pos = start + 1
  while (pos < text.length) {
    const c = text[pos]
    if (c === '"') return [out, pos + 1]
    if (c === '\\') {
      if (pos + 1 >= text.length) break
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text[pos + 1])) fail('control character in a quoted string', pos + 1)
      out += text[pos + 1]
      pos += 2
      continue
    }
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(c)) fail('control character in a quoted string', pos)
    out += c
    pos++
  }
  return fail('unterminated quoted string', start)
}

function skipSpace(text: string, pos: number): number {
  // RFC 6690 has no whitespace, but devices put newlines after commas; tolerate it between links.
  while (pos < text.length && /[ \t\r\n]/.test(text[pos])) pos++
  return pos
}
