import { ContentFormat } from '../content-format.js'

/** Formats a Bootstrap-Write may use, by the `pct` a client asks for. */
const WRITE_FORMATS: ReadonlySet<number> = new Set([
  ContentFormat.TLV,
  ContentFormat.SENML_JSON,
  ContentFormat.SENML_CBOR,
  ContentFormat.JSON,
])

/**
 * The content format of the Bootstrap-Writes: the client's preferred one (`pct`) when we can
 * write instances in it, else TLV, which every LwM2M 1.0 client and most 1.1 clients read.
 * Undefined when `pct` names a format no instance can be written in (the handler answers 4.00).
 */
export function bootstrapWriteFormat(pct: number | undefined): number | undefined {
  if (pct === undefined) return ContentFormat.TLV
  return WRITE_FORMATS.has(pct) ? pct : undefined
}
