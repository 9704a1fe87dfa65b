import { useEffect, useRef, useState } from 'preact/hooks'
import { api, clientPath, describeError } from '../api.js'
import { Pager } from '../components/Pager.js'
import { useEvents } from '../events.js'
import { eventValues, formatData, formatTime, resourceValue } from '../format.js'
import { pageQuery, usePagedList, type PageBody } from '../paged.js'
import { linkClick } from '../router.js'
import type { Session } from '../session.js'

/** The temperature sensor's value (IPSO 3303 instance 0, resource 5700). */
export const TEMPERATURE_PATH = '/3303/0/5700'

/** A latest value as the API keeps it. */
export interface LatestValue {
  value: unknown
  time: string
}

interface Registered {
  endpoint: string
  status?: string
  registeredAt?: number | string
  lastUpdate?: number | string
  lwm2mVersion?: string
  lifetime?: number
  values?: Record<string, LatestValue>
}

interface Reading {
  value: unknown
  at: number | string
}

/** The console path of a device's page. */
export function devicePath(endpoint: string): string {
  return `/devices/${encodeURIComponent(endpoint)}`
}

/** Fig. 8: registered devices (a page at a time, searchable), registration time, last update, latest temperature; live from SSE. */
export function DevicesPage({ session }: { session: Session }) {
  // When the page's newest request went out: a reading that came live after that is newer than
  // its answer.
  const askedAt = useRef(0)
  const list = usePagedList<Registered>(async (o) => {
    askedAt.current = Date.now()
    return api<PageBody<Registered>>('GET', `/clients${pageQuery(o, { status: 'registered' })}`, { token: session.token })
  })
  // Values that arrived since the page was loaded (the page's own values come with it).
  const [readings, setReadings] = useState<Record<string, Reading>>({})
  const [reading, setReading] = useState<string>()
  const [status, setStatus] = useState<string>('')
  // The API lets admins and applications operate devices; plain users watch.
  const canRead = session.role !== 'user'
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(reloadTimer.current), [])
  // A loaded page brings its own values; keep only the readings that came after its request (seen:
  // a notification of 24.5 wiped by a reload whose answer had crossed it, and the cell stayed "—").
  useEffect(() => setReadings((r) => Object.fromEntries(Object.entries(r).filter(([, x]) => typeof x.at === 'number' && x.at >= askedAt.current))), [list.items])

  /** Reloads the page shown, at most about twice a second (a fleet registering at once is one reload). */
  const reloadSoon = (): void => {
    if (reloadTimer.current !== undefined) return
    reloadTimer.current = setTimeout(() => {
      reloadTimer.current = undefined
      list.reload()
    }, 400)
  }

  useEvents((e) => {
    const d = (e.data ?? {}) as { endpoint?: string; path?: string; registration?: { endpoint?: string }; values?: Record<string, unknown> }
    const ep = d.endpoint ?? d.registration?.endpoint
    if (e.type === 'registration' || e.type === 'update' || e.type === 'deregistration') {
      if (ep) setStatus(`${ep} ${e.type === 'registration' ? 'registered' : e.type === 'update' ? 'updated its registration' : 'de-registered'}`)
      reloadSoon()
    } else if (e.type === 'reset') {
      list.reload()
    } else if ((e.type === 'notification' || e.type === 'send') && ep) {
      const v = e.type === 'send' ? eventValues(d.values)[TEMPERATURE_PATH] : resourceValue(d, TEMPERATURE_PATH)
      if (v !== undefined && (d.path === undefined || TEMPERATURE_PATH.startsWith(d.path))) {
        setReadings((r) => ({ ...r, [ep]: { value: v, at: Date.now() } }))
      }
    }
  })

  const read = async (endpoint: string): Promise<void> => {
    setReading(endpoint)
    try {
      const body = await api('GET', clientPath(endpoint, TEMPERATURE_PATH), { token: session.token })
      setReadings((r) => ({ ...r, [endpoint]: { value: resourceValue(body, TEMPERATURE_PATH), at: Date.now() } }))
      setStatus(`${endpoint}: temperature read`)
    } catch (err) {
      setStatus(`${endpoint}: ${describeError(err)}`)
    } finally {
      setReading(undefined)
    }
  }

  const devices = list.items
  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Registered devices</h1>
      <p class="hint">
        Devices currently registered at this LwM2M server. The list and temperatures update live; open a device for its objects and resources.
        {!canRead && ' Reading a device needs the admin or application role.'}
      </p>
      {list.error && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      <p role="status" class="status">
        {status}
      </p>
      <Pager list={list} noun="devices" id="devices" />
      {devices === undefined ? (
        <p>Loading…</p>
      ) : devices.length === 0 ? (
        <p>{list.q.trim() ? 'No registered device matches.' : 'No device is registered right now.'}</p>
      ) : (
        <table>
          <caption class="sr-only">Registered devices</caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Registered</th>
              <th scope="col">Last update</th>
              <th scope="col" class="num">Temperature</th>
              <th scope="col">Temperature at</th>
              {canRead && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => {
              const kept = d.values?.[TEMPERATURE_PATH]
              const r: Reading | undefined = readings[d.endpoint] ?? (kept && { value: kept.value, at: kept.time })
              return (
                <tr key={d.endpoint} data-endpoint={d.endpoint}>
                  <th scope="row">
                    <a href={devicePath(d.endpoint)} onClick={linkClick} class={d.endpoint.length <= 24 ? 'nowrap' : 'long'}>
                      {d.endpoint}
                    </a>
                  </th>
                  <td class="time">{formatTime(d.registeredAt)}</td>
                  <td class="time">{formatTime(d.lastUpdate)}</td>
                  <td class="num">{r ? `${formatData(r.value)} °C` : '—'}</td>
                  <td class="time">{r ? formatTime(r.at) : '—'}</td>
                  {canRead && (
                    <td>
                      <button type="button" onClick={() => void read(d.endpoint)} disabled={reading === d.endpoint} aria-label={`Read temperature of ${d.endpoint}`}>
                        {reading === d.endpoint ? 'Reading…' : 'Read'}
                      </button>
                    </td>
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
