// Thin fetch wrapper over the REST API (/api): bearer token, JSON in and out, errors as ApiError
// carrying the API's {error, message}.

/** An API answer other than 2xx. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** Called on every 401 so the app can drop an expired or revoked session. */
let onUnauthorized: (() => void) | undefined

/** Registers what happens when the API answers 401 to an authenticated call. */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn
}

/** Calls the API; resolves the parsed JSON body (undefined for an empty body). */
export async function api<T = unknown>(method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (o.token) headers.authorization = `Bearer ${o.token}`
  if (o.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(`/api${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) })
  } catch (err) {
    throw new ApiError(0, 'network', `The server cannot be reached (${(err as Error).message})`)
  }
  const text = await res.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = text
  }
  if (!res.ok) {
    if (res.status === 401 && o.token) onUnauthorized?.()
    const e = (body ?? {}) as { error?: unknown; message?: unknown }
    const message = typeof e.message === 'string' ? e.message : typeof body === 'string' && body ? body : res.statusText
    throw new ApiError(res.status, typeof e.error === 'string' ? e.error : String(res.status), message)
  }
  return body as T
}

/** A message fit for the page from anything thrown. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403) return `Refused: ${err.message || 'your role may not do this'}`
    return err.message || `Request failed (${err.status})`
  }
  return err instanceof Error ? err.message : String(err)
}

/** `/clients/dev-1/3303/0/5700` from an endpoint and an LwM2M path; each segment encoded. */
export function clientPath(endpoint: string, lwm2mPath: string): string {
  const segs = lwm2mPath.split('/').filter(Boolean)
  return `/clients/${encodeURIComponent(endpoint)}${segs.length ? '/' + segs.join('/') : ''}`
}
