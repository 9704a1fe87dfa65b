import { useEffect, useState } from 'preact/hooks'
import { api, clientPath, describeError } from '../api.js'
import { useEvents } from '../events.js'
import { formatData, formatTime, resourceValue } from '../format.js'
import { listOf } from '../lists.js'
import type { Session } from '../session.js'

/** The temperature sensor's value (IPSO 3303 instance 0, resource 5700). */
export const TEMPERATURE_PATH = '/3303/0/5700'

interface Registered {
  endpoint: string
  status?: string
  registeredAt?: number | string
  lastUpdate?: number | string
  lwm2mVersion?: string
  lifetime?: number
}

interface Reading {
  value: unknown
  at: number
}

/** Fig. 8: registered devices, registration time, last update, latest temperature, Read button; live from SSE. */
export function DevicesPage({ session }: { session: Session }) {
  const [devices, setDevices] = useState<Registered[]>()
  const [readings, setReadings] = useState<Record<string, Reading>>({})
  const [error, setError] = useState<string>()
  const [reading, setReading] = useState<string>()
  const [status, setStatus] = useState<string>('')
  // The API lets admins and applications operate devices; plain users watch.
  const canRead = session.role !== 'user'

  const load = async (): Promise<void> => {
    try {
      const all = listOf<Registered>(await api('GET', '/clients', { token: session.token }), 'clients', 'registrations')
      // The API also lists devices provisioned on chain but not registered: this view is Fig. 8's registered ones.
      setDevices(all.filter((d) => d.status === undefined || d.status === 'registered'))
      setError(undefined)
    } catch (err) {
      setError(describeError(err))
    }
  }
  useEffect(() => {
    void load()
  }, [])

  useEvents((e) => {
    const d = (e.data ?? {}) as { endpoint?: string; path?: string; registration?: { endpoint?: string } }
    const ep = d.endpoint ?? d.registration?.endpoint
    if (e.type === 'registration' || e.type === 'update' || e.type === 'deregistration') {
      if (ep) setStatus(`${ep} ${e.type === 'registration' ? 'registered' : e.type === 'update' ? 'updated its registration' : 'de-registered'}`)
      void load()
    } else if (e.type === 'notification' && ep) {
      const v = resourceValue(d, TEMPERATURE_PATH)
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

  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">Registered devices</h1>
      <p class="hint">
        Devices currently registered at this LwM2M server. The list and temperatures update live.
        {!canRead && ' Reading a device needs the admin or application role.'}
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <p role="status" class="status">
        {status}
      </p>
      {devices === undefined ? (
        <p>Loading…</p>
      ) : devices.length === 0 ? (
        <p>No device is registered right now.</p>
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
              const r = readings[d.endpoint]
              return (
                <tr key={d.endpoint} data-endpoint={d.endpoint}>
                  <th scope="row">{d.endpoint}</th>
                  <td>{formatTime(d.registeredAt)}</td>
                  <td>{formatTime(d.lastUpdate)}</td>
                  <td class="num">{r ? `${formatData(r.value)} °C` : '—'}</td>
                  <td>{r ? formatTime(r.at) : '—'}</td>
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
