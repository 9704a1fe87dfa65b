import { useEffect, useRef, useState } from 'preact/hooks'
import { describeError } from './api.js'

// A list the API serves in pages ({items, next, total}): the console holds one page at a time,
// so 10,000 devices cost one page of DOM. Pages are walked with the API's cursors (a stack, for
// Previous); a search restarts at the first page.

/** One page as the API answers it. */
export interface PageBody<T> {
  items: T[]
  next: string | null
  total?: number
}

/** The state and controls of a paged list. */
export interface PagedList<T> {
  items?: T[]
  total?: number
  /** 0-based index of the page shown. */
  page: number
  limit: number
  hasNext: boolean
  error?: string
  ok?: string
  busy: boolean
  q: string
  setQ(q: string): void
  next(): void
  prev(): void
  /** Reloads the page shown (after a live event). */
  reload(): void
  /** Runs an action (its result is the success message), then reloads the page. */
  run(what: () => Promise<string>): Promise<void>
}

/** Loads pages with `fetchPage(cursor, q, limit)`; `q` changes are applied after a short pause in typing. */
export function usePagedList<T>(fetchPage: (o: { cursor?: string; q: string; limit: number }) => Promise<PageBody<T>>, limit = 50): PagedList<T> {
  // The page shown, with the index it was loaded for (the range and the buttons follow what is shown, not what is asked).
  const [body, setBody] = useState<PageBody<T> & { page: number }>()
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined])
  const [q, setQText] = useState('')
  const [applied, setApplied] = useState('')
  const [error, setError] = useState<string>()
  const [ok, setOk] = useState<string>()
  const [busy, setBusy] = useState(false)
  const [tick, setTick] = useState(0)
  const seq = useRef(0)
  const cursor = cursors[cursors.length - 1]

  const asked = cursors.length - 1
  useEffect(() => {
    const mine = ++seq.current
    const index = asked
    fetchPage({ ...(cursor !== undefined && { cursor }), q: applied, limit }).then(
      (b) => {
        // A slower, older answer must not replace a newer one.
        if (mine !== seq.current) return
        setBody({ ...b, page: index })
        setError(undefined)
      },
      (err: unknown) => {
        if (mine === seq.current) setError(describeError(err))
      },
    )
  }, [cursor, applied, tick])

  useEffect(() => {
    if (q === applied) return
    const t = setTimeout(() => {
      setApplied(q)
      setCursors([undefined])
    }, 250)
    return () => clearTimeout(t)
  }, [q])

  return {
    items: body?.items,
    ...(body?.total !== undefined && { total: body.total }),
    page: body?.page ?? 0,
    limit,
    // While a page loads, Next waits for it (a second click would push the same cursor again).
    hasNext: !!body?.next && body.page === asked,
    error,
    ok,
    busy,
    q,
    setQ: setQText,
    next: () => {
      if (body?.next && body.page === asked) setCursors((c) => [...c, body.next!])
    },
    prev: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reload: () => setTick((t) => t + 1),
    async run(what) {
      setBusy(true)
      setError(undefined)
      setOk(undefined)
      try {
        setOk(await what())
        setTick((t) => t + 1)
      } catch (err) {
        setError(describeError(err))
      } finally {
        setBusy(false)
      }
    },
  }
}

/** `?limit=..&cursor=..&q=..` for a list route. */
export function pageQuery(o: { cursor?: string; q: string; limit: number }, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams({ limit: String(o.limit), ...extra })
  if (o.cursor) p.set('cursor', o.cursor)
  if (o.q.trim()) p.set('q', o.q.trim())
  return `?${p.toString()}`
}
