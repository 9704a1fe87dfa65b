import { UsageError } from '../../errors/base.js'
import { FORMAT_NAMES, type FormatName } from '../../lwm2m/content-format.js'
import { parsePath, type LwM2mPath } from '../../lwm2m/path.js'
import { parseHex } from '../../lwm2m/codec/bytes-text.js'

/** Command-line format names, in the order help lists them. */
export const FORMAT_LIST = Object.keys(FORMAT_NAMES) as FormatName[]

/** Checks a command-line format name; an unknown one is a usage error (exit 2). */
export function parseFormatName(name: string): FormatName {
  if (!(name in FORMAT_NAMES)) {
    throw new UsageError(`unknown format "${name}" (expected one of ${FORMAT_LIST.join(', ')})`)
  }
  return name as FormatName
}

/** Hex input with optional 0x, whitespace and colons; anything else is a usage error. */
export function hexInput(text: string): Uint8Array {
  const bytes = parseHex(text)
  if (!bytes) throw new UsageError('input is not hex (pairs of 0-9a-f; spaces, colons and a 0x prefix are allowed)')
  return bytes
}

/** `--path` when given (InvalidPathError, exit 1, when malformed). */
export function optionalPath(text: string | undefined): LwM2mPath | undefined {
  return text === undefined ? undefined : parsePath(text)
}

/** All of stdin, as bytes. */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
  return new Uint8Array(Buffer.concat(chunks))
}
