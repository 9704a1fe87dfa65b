/**
 * Bounds every decoder enforces before it builds anything, so a hostile or broken payload costs
 * at most this much memory and time (and never a stack overflow).
 */
export interface CodecLimits {
  /** Largest payload accepted, in bytes. */
  readonly maxPayloadBytes: number
  /** Most records (SenML records, JSON "e" entries) in one payload. */
  readonly maxRecords: number
  /** Deepest nesting of JSON arrays/objects or CBOR arrays/maps. */
  readonly maxDepth: number
}

/** 1 MiB, 10,000 records, nesting 16: far above any LwM2M payload, far below harm. */
export const DEFAULT_LIMITS: CodecLimits = Object.freeze({
  maxPayloadBytes: 1024 * 1024,
  maxRecords: 10_000,
  maxDepth: 16,
})
