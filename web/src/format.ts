// Display helpers shared by the pages.

/** A time as local "YYYY-MM-DD HH:MM:SS"; accepts epoch ms, epoch seconds or ISO text. */
export function formatTime(t: unknown): string {
  const d = toDate(t)
  if (!d) return '—'
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** A Date from epoch ms, epoch seconds (values below 1e11) or ISO text; undefined otherwise. */
export function toDate(t: unknown): Date | undefined {
  if (typeof t === 'number' && Number.isFinite(t)) return new Date(t < 1e11 ? t * 1000 : t)
  if (typeof t === 'string' && t) {
    if (/^\d+$/.test(t)) return toDate(Number(t))
    const d = new Date(t)
    return Number.isNaN(d.getTime()) ? undefined : d
  }
  return undefined
}

/** Compact JSON for a table cell. */
export function formatData(v: unknown): string {
  if (v === undefined || v === null) return '—'
  if (typeof v === 'string') return v
  return JSON.stringify(v)
}

/**
 * The value of one resource from a read or notification body, whatever shape the API used:
 * a bare value, `{value}`, a flat `{"/3303/0/5700": v}` map, or a node `{resources|value...}`.
 */
export function resourceValue(body: unknown, path: string): unknown {
  if (body === null || typeof body !== 'object') return body
  const o = body as Record<string, unknown>
  if (path in o) return o[path]
  if ('value' in o && (typeof o.value !== 'object' || o.value === null)) return o.value
  for (const k of ['content', 'node', 'values', 'flat']) if (k in o) return resourceValue(o[k], path)
  const keys = Object.keys(o)
  const hit = keys.find((k) => k.endsWith(path))
  return hit ? o[hit] : undefined
}

/** The values of a notification ({path: value}) or a Send ([{path, value, time?}]) as {path: value}. */
export function eventValues(values: unknown): Record<string, unknown> {
  if (Array.isArray(values)) {
    const out: Record<string, unknown> = {}
    for (const v of values as Array<{ path?: unknown; value?: unknown }>) if (typeof v?.path === 'string') out[v.path] = v.value
    return out
  }
  return values && typeof values === 'object' ? (values as Record<string, unknown>) : {}
}
