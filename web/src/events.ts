import { useEffect, useRef } from 'preact/hooks'

// One stream of /api/events for the whole app; pages subscribe to the event types they show.
// Read with fetch rather than EventSource: EventSource cannot send an Authorization header, and a
// token in the URL (?token=) ends up in request logs and proxies; fetch sends it as a header.
// Like EventSource, it remembers the last event id and sends it as Last-Event-ID when it
// reconnects, so the server replays what was missed; when it cannot (the gap is too old) it sends
// `reset`, and pages reload what they show.

/** Event types the API streams (the anomaly ledger's statuses: see anomalyStatus.ts). */
export const EVENT_TYPES = [
  'registration',
  'update',
  'deregistration',
  'notification',
  'send',
  'queued-result',
  'anomaly',
  'anomaly-included',
  'anomaly-anchored',
  'anomaly-unanchored',
  'anomaly-quarantined',
  'anomaly-confirmations',
  'reset',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** One server-sent event: its type and parsed JSON data. */
export interface ApiEvent {
  type: EventType | 'message'
  data: unknown
}

type Listener = (e: ApiEvent) => void
const listeners = new Set<Listener>()
let current: AbortController | undefined
/** Id of the last event received (sent back as Last-Event-ID on reconnect); per stream, so reset on connectEvents. */
let lastEventId: string | undefined

/** Delay before reconnecting after the stream ended or failed (the server may change it with `retry:`). */
let retryMs = 2_000
/** Delay after the API refused the token: the app checks the session meanwhile. */
const REFUSED_RETRY_MS = 5_000

/**
 * Opens the stream for this token (closing any previous one) and keeps it open, reconnecting
 * when it drops. On 401/403 `onRefused` runs (the app checks the session; a 401 signs out).
 */
export function connectEvents(token: string, onStatus?: (open: boolean) => void, onRefused?: () => void): void {
  disconnectEvents()
  lastEventId = undefined
  const ctl = new AbortController()
  current = ctl
  void (async () => {
    while (!ctl.signal.aborted) {
      let wait = retryMs
      try {
        const outcome = await readStream(token, ctl.signal, () => onStatus?.(true))
        if (outcome === 'refused') {
          onRefused?.()
          wait = REFUSED_RETRY_MS
        }
      } catch {
        // network error or abort: retry below unless aborted
      }
      if (ctl.signal.aborted) break
      onStatus?.(false)
      await sleep(wait, ctl.signal)
    }
  })()
}

/** Closes the stream (on logout). */
export function disconnectEvents(): void {
  current?.abort()
  current = undefined
}

/** Calls `fn` for every event while the component is mounted. */
export function useEvents(fn: Listener): void {
  const ref = useRef(fn)
  ref.current = fn
  useEffect(() => {
    const l: Listener = (e) => ref.current(e)
    listeners.add(l)
    return () => {
      listeners.delete(l)
    }
  }, [])
}

/** Reads one connection until it ends; 'refused' when the API would not open it for this token. */
async function readStream(token: string, signal: AbortSignal, opened: () => void): Promise<'ended' | 'refused'> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' }
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
  const res = await fetch('/api/events', { headers, cache: 'no-store', signal })
  if (res.status === 401 || res.status === 403) return 'refused'
  if (!res.ok || !res.body) return 'ended'
  opened()
  // A stream opened without Last-Event-ID replays nothing: whatever happened between a page's
  // own load and this moment would be lost (seen: a value that changed while the console was
  // still connecting never showed). Pages reload on `reset`, so they catch up here.
  if (lastEventId === undefined) dispatch(`event: reset\ndata: {"type":"reset","reason":"stream opened"}`)
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return 'ended'
    buffer += value
    // Events end with a blank line (CRLF, LF or CR line ends are all allowed).
    for (let m = /\r\n\r\n|\n\n|\r\r/.exec(buffer); m; m = /\r\n\r\n|\n\n|\r\r/.exec(buffer)) {
      dispatch(buffer.slice(0, m.index))
      buffer = buffer.slice(m.index + m[0].length)
    }
  }
}

/** Parses one event block (`event:`, `data:`, `retry:`, `:` comments) and hands it to the listeners. */
function dispatch(block: string): void {
  let type = 'message'
  const data: string[] = []
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') type = value
    else if (field === 'id' && !value.includes('\0')) lastEventId = value
    else if (field === 'data') data.push(value)
    else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value)
  }
  if (data.length === 0) return
  const text = data.join('\n')
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // keep the raw text
  }
  const e: ApiEvent = { type: (EVENT_TYPES as readonly string[]).includes(type) ? (type as EventType) : 'message', data: parsed }
  for (const l of listeners) l(e)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    }, { once: true })
  })
}
