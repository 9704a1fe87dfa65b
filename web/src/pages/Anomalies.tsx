import { useEffect, useState } from 'preact/hooks'
import { api, describeError } from '../api.js'
import { useEvents } from '../events.js'
import { formatData, formatTime, toDate } from '../format.js'
import type { Session } from '../session.js'

interface Anomaly {
  id: string
  endpoint: string
  level: number
  data: unknown
  timestamp: string | number
  /** pending: accepted, not yet anchored; anchored: in a batch whose root is on chain. */
  status?: string
  txHash?: string
}

/** What the verification column shows per anomaly id. */
type Verdict = 'checking' | 'VALID' | 'INVALID' | 'PENDING' | 'UNKNOWN' | 'error'

interface Filters {
  endpoint: string
  minLevel: string
  from: string
  to: string
}

const EMPTY: Filters = { endpoint: '', minLevel: '', from: '', to: '' }
const PAGE = 50

/** The anomaly log: filters by device, level and time; each row with its on-chain verification; live from SSE. */
export function AnomaliesPage({ session }: { session: Session }) {
  const [draft, setDraft] = useState<Filters>(EMPTY)
  const [filters, setFilters] = useState<Filters>(EMPTY)
  const [items, setItems] = useState<Anomaly[]>()
  const [next, setNext] = useState<string>()
  const [error, setError] = useState<string>()
  const [verdicts, setVerdicts] = useState<Record<string, Verdict>>({})
  const [liveNote, setLiveNote] = useState('')

  const query = (f: Filters, cursor?: string): string => {
    const q = new URLSearchParams()
    if (f.endpoint.trim()) q.set('endpoint', f.endpoint.trim())
    if (f.from) q.set('from', new Date(f.from).toISOString())
    if (f.to) q.set('to', new Date(f.to).toISOString())
    q.set('limit', String(PAGE))
    if (cursor) q.set('cursor', cursor)
    return q.toString()
  }

  const load = async (f: Filters, cursor?: string): Promise<void> => {
    try {
      const page = await api<{ items: Anomaly[]; next?: string | null }>('GET', `/anomalies?${query(f, cursor)}`, { token: session.token })
      setItems((old) => (cursor && old ? [...old, ...page.items] : page.items))
      setNext(page.next ?? undefined)
      setError(undefined)
    } catch (err) {
      setError(describeError(err))
    }
  }
  useEffect(() => {
    void load(filters)
  }, [filters])

  // Newest first on screen; the API pages oldest first, in (time, id) order.
  const min = Number(filters.minLevel) || 0
  const shown = (items ?? []).filter((a) => a.level >= min).sort(newestFirst)

  // Check on chain every anchored row on screen once (pending ones wait for their batch).
  useEffect(() => {
    for (const a of shown) {
      if (a.status === 'pending' || verdicts[a.id] !== undefined) continue
      setVerdicts((v) => ({ ...v, [a.id]: 'checking' }))
      api<Record<string, unknown>>('GET', `/anomalies/${encodeURIComponent(a.id)}`, { token: session.token })
        .then((d) => setVerdicts((v) => ({ ...v, [a.id]: verdictOf(d) })))
        .catch(() => setVerdicts((v) => ({ ...v, [a.id]: 'error' })))
    }
  }, [items, filters.minLevel])

  useEvents((e) => {
    const d = (e.data ?? {}) as { ids?: string[]; anomaly?: Anomaly }
    if (e.type === 'anomaly' && d.anomaly) {
      // The event carries the whole record: add it in place (no reload, which would refetch the first page).
      const a = d.anomaly
      if (!matches(a, filters)) return
      setItems((old) => (old?.some((x) => x.id === a.id) ? old : [...(old ?? []), a]))
      setLiveNote(`New anomaly from ${a.endpoint} (level ${a.level})`)
    } else if (e.type === 'anomaly-anchored' && d.ids) {
      // Their batch is on chain now: mark them anchored and check them again.
      const ids = new Set(d.ids)
      setItems((old) => old?.map((x) => (ids.has(x.id) ? { ...x, status: 'anchored' } : x)))
      setVerdicts((v) => {
        const copy = { ...v }
        for (const id of ids) delete copy[id]
        return copy
      })
    }
  })

  const apply = (e: Event): void => {
    e.preventDefault()
    setVerdicts({})
    setFilters({ ...draft })
  }
  const clear = (): void => {
    setDraft(EMPTY)
    setVerdicts({})
    setFilters(EMPTY)
  }
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value })

  return (
    <section aria-labelledby="anomalies-title">
      <h1 id="anomalies-title">Anomaly log</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter anomalies">
        <div>
          <label for="f-endpoint">Device</label>
          <input id="f-endpoint" value={draft.endpoint} onInput={set('endpoint')} placeholder="endpoint name" />
        </div>
        <div>
          <label for="f-level">Level at least</label>
          <input id="f-level" type="number" min={0} max={255} value={draft.minLevel} onInput={set('minLevel')} />
        </div>
        <div>
          <label for="f-from">From</label>
          <input id="f-from" type="datetime-local" step={1} value={draft.from} onInput={set('from')} />
        </div>
        <div>
          <label for="f-to">To</label>
          <input id="f-to" type="datetime-local" step={1} value={draft.to} onInput={set('to')} />
        </div>
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <p role="status" class="status">
        {liveNote}
      </p>
      {items === undefined ? (
        <p>Loading…</p>
      ) : shown.length === 0 ? (
        <p>No anomaly matches.</p>
      ) : (
        <table class="anomalies">
          <caption class="sr-only">Anomalies, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Device</th>
              <th scope="col" class="num">Level</th>
              <th scope="col">Data</th>
              <th scope="col">On chain</th>
              <th scope="col">Id</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.id} data-id={a.id}>
                <td>{formatTime(a.timestamp)}</td>
                <td>{a.endpoint}</td>
                <td class="num">
                  <span class={a.level >= 3 ? 'level high' : 'level'}>{a.level}</span>
                </td>
                <td class="data">
                  <code>{formatData(a.data)}</code>
                </td>
                <td>
                  <VerdictBadge status={a.status} verdict={verdicts[a.id]} />
                </td>
                <td>
                  <code class="id">{a.id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <p>
          <button type="button" class="secondary" onClick={() => void load(filters, next)}>
            Load more
          </button>
        </p>
      )}
    </section>
  )
}

function VerdictBadge({ status, verdict }: { status?: string; verdict?: Verdict }) {
  if (verdict === 'VALID') return <span class="badge ok">Verified</span>
  if (verdict === 'INVALID') return <span class="badge bad">INVALID</span>
  if (verdict === 'error') return <span class="badge bad">Check failed</span>
  if (verdict === 'UNKNOWN') return <span class="badge wait">Chain unreachable</span>
  if (status === 'pending' || verdict === 'PENDING') return <span class="badge wait">Pending anchoring</span>
  return <span class="badge wait">Checking…</span>
}

function newestFirst(a: Anomaly, b: Anomaly): number {
  const ta = toDate(a.timestamp)?.getTime() ?? 0
  const tb = toDate(b.timestamp)?.getTime() ?? 0
  return tb - ta || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/** Whether a live anomaly belongs in the log under the filters applied. */
function matches(a: Anomaly, f: Filters): boolean {
  if (f.endpoint.trim() && a.endpoint !== f.endpoint.trim()) return false
  const t = toDate(a.timestamp)?.getTime()
  if (f.from && (t === undefined || t < new Date(f.from).getTime())) return false
  if (f.to && (t === undefined || t > new Date(f.to).getTime())) return false
  return true
}

/** The verdict in a GET /anomalies/{id} answer, whichever field carries it. */
function verdictOf(d: Record<string, unknown>): Verdict {
  const candidates = [d.verdict, d.verification, (d.verification as { verdict?: unknown } | undefined)?.verdict, d.verified, d.status]
  for (const c of candidates) {
    if (c === true) return 'VALID'
    if (c === false) return 'INVALID'
    if (typeof c === 'string') {
      const u = c.toUpperCase()
      if (u === 'VALID' || u === 'INVALID' || u === 'PENDING' || u === 'UNKNOWN') return u
    }
  }
  // No verdict in the answer: say so rather than guess.
  return d.status === 'pending' ? 'PENDING' : 'error'
}
