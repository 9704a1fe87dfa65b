import { useEffect, useState } from 'preact/hooks'
import { api, describeError } from '../api.js'
import { applyFinalBlock, applyStatusEvent, isStatusEvent, type Anomaly, type StatusEventData } from '../anomalyStatus.js'
import { AnomalyStatus, type Verdict } from '../components/AnomalyStatus.js'
import { useEvents } from '../events.js'
import { formatData, formatTime, toDate } from '../format.js'
import type { Session } from '../session.js'

interface Filters {
  endpoint: string
  minLevel: string
  from: string
  to: string
}

const EMPTY: Filters = { endpoint: '', minLevel: '', from: '', to: '' }
const PAGE = 50

/**
 * The anomaly log: filters by device, level and time; each row with its ledger status (pending,
 * included, anchored, quarantined) and, once final, its on-chain verification; live from SSE.
 */
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

  // Check on chain every final row on screen once: pending, included (a reorganisation may still
  // undo it) and quarantined rows have nothing final to check yet.
  useEffect(() => {
    for (const a of shown) {
      if (a.status !== 'anchored' || verdicts[a.id] !== undefined) continue
      setVerdicts((v) => ({ ...v, [a.id]: 'checking' }))
      api<Record<string, unknown>>('GET', `/anomalies/${encodeURIComponent(a.id)}`, { token: session.token })
        .then((d) => setVerdicts((v) => ({ ...v, [a.id]: verdictOf(d) })))
        .catch(() => setVerdicts((v) => ({ ...v, [a.id]: 'error' })))
    }
  }, [items, filters.minLevel])

  useEvents((e) => {
    const d = (e.data ?? {}) as StatusEventData & { anomaly?: Anomaly; finalBlock?: string }
    if (e.type === 'reset') {
      // Events were missed: what the rows say may be stale.
      setVerdicts({})
      void load(filters)
    } else if (e.type === 'anomaly' && d.anomaly) {
      // The event carries the whole record: add it in place (no reload, which would refetch the first page).
      const a = d.anomaly
      if (!matches(a, filters)) return
      setItems((old) => (old?.some((x) => x.id === a.id) ? old : [...(old ?? []), a]))
      setLiveNote(`New anomaly from ${a.endpoint} (level ${a.level})`)
    } else if (e.type === 'anomaly-confirmations' && typeof d.finalBlock === 'string') {
      // Another block mined over the included rows: one confirmation fewer to go.
      const finalBlock = d.finalBlock
      setItems((old) => old?.map((x) => applyFinalBlock(x, finalBlock)))
    } else if (isStatusEvent(e.type) && d.ids) {
      // Included, final, removed by a reorganisation, or quarantined: the rows named change status;
      // a final one is checked on chain (again), the others drop any earlier verdict.
      const type = e.type
      const ids = new Set(d.ids)
      const n = ids.size
      if (type === 'anomaly-unanchored') setLiveNote(`${n} anomal${n === 1 ? 'y was' : 'ies were'} removed from the chain by a reorganisation; ${n === 1 ? 'it' : 'they'} will be re-anchored`)
      // Say when what a reorganisation removed is final again, so the note above is not the last word.
      const again = (items ?? []).filter((x) => x.reorged && ids.has(x.id)).length
      if (type === 'anomaly-anchored' && again > 0) setLiveNote(`${again} anomal${again === 1 ? 'y' : 'ies'} removed by a reorganisation ${again === 1 ? 'is' : 'are'} anchored again (final)`)
      setItems((old) => old?.map((x) => applyStatusEvent(x, type, d)))
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
              <tr key={a.id} data-id={a.id} data-status={a.status}>
                <td>{formatTime(a.timestamp)}</td>
                <td>{a.endpoint}</td>
                <td class="num">
                  <span class={a.level >= 3 ? 'level high' : 'level'}>{a.level}</span>
                </td>
                <td class="data">
                  <DataCell data={a.data} />
                </td>
                <td>
                  <AnomalyStatus a={a} verdict={verdicts[a.id]} />
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

/** Up to 8 KB of data per record: the cell shows the first 200 characters, the whole of it on hover. */
function DataCell({ data }: { data: unknown }) {
  const text = formatData(data)
  if (text.length <= DATA_SHOWN) return <code>{text}</code>
  return <code title={text}>{`${text.slice(0, DATA_SHOWN)}… (${text.length} characters)`}</code>
}
const DATA_SHOWN = 200

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
