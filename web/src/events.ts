import { useEffect, useRef } from 'preact/hooks'

// One EventSource on /api/events for the whole app; pages subscribe to the event types they
// show. EventSource cannot send headers, so the token rides in the query string (as the API expects).

/** Event types the API streams. */
export const EVENT_TYPES = ['registration', 'update', 'deregistration', 'notification', 'anomaly', 'anomaly-anchored'] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** One server-sent event: its type and parsed JSON data. */
export interface ApiEvent {
  type: EventType | 'message'
  data: unknown
}

type Listener = (e: ApiEvent) => void
const listeners = new Set<Listener>()
let source: EventSource | undefined
let statusListener: ((open: boolean) => void) | undefined
let retry: ReturnType<typeof setTimeout> | undefined

/**
 * Opens the stream for this token (closing any previous one). EventSource retries dropped
 * connections itself but gives up for good on an HTTP error (a refused token): then `onClosed`
 * runs (the app checks the session), and the stream is reopened 5 s later.
 */
export function connectEvents(token: string, onStatus?: (open: boolean) => void, onClosed?: () => void): void {
  disconnectEvents()
  statusListener = onStatus
  const es = new EventSource(`/api/events?token=${encodeURIComponent(token)}`)
  source = es
  const dispatch = (type: ApiEvent['type']) => (m: MessageEvent) => {
    let data: unknown = m.data
    try {
      data = JSON.parse(m.data as string)
    } catch {
      // keep the raw text
    }
    for (const l of listeners) l({ type, data })
  }
  for (const t of EVENT_TYPES) es.addEventListener(t, dispatch(t) as EventListener)
  es.onmessage = dispatch('message')
  es.onopen = () => statusListener?.(true)
  es.onerror = () => {
    statusListener?.(false)
    if (es.readyState === EventSource.CLOSED && source === es) {
      onClosed?.()
      retry = setTimeout(() => {
        if (source === es) connectEvents(token, onStatus, onClosed)
      }, 5_000)
    }
  }
}

/** Closes the stream (on logout). */
export function disconnectEvents(): void {
  clearTimeout(retry)
  source?.close()
  source = undefined
  statusListener?.(false)
  statusListener = undefined
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
