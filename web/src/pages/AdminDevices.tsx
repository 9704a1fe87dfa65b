import { useEffect, useRef, useState } from 'preact/hooks'
import { api } from '../api.js'
import { CopyButton } from '../components/CopyButton.js'
import { Message } from '../components/Message.js'
import { WritesOff } from '../components/WritesOff.js'
import { formatTime } from '../format.js'
import { Pager } from '../components/Pager.js'
import { pageQuery, usePagedList, type PageBody } from '../paged.js'
import type { Session } from '../session.js'

interface DeviceRecord {
  endpoint: string
  /** registered: at this server now; provisioned: on chain, not registered here. */
  status?: string
  lastUpdate?: string
}

interface Credentials {
  endpoint: string
  bootstrap: { uri: string; identity: string; key: string }
  server: { uri: string; identity: string; key: string }
  txHash?: string
}

/** Admin: devices on chain — list, add (credentials shown once), remove, move to another server. */
export function AdminDevicesPage({ session, writesOff }: { session: Session; writesOff?: string }) {
  // Write controls only once the server said it can write (GET /api/me): it needs a writer key.
  const canWrite = writesOff === ''
  const [created, setCreated] = useState<Credentials>()
  const [endpoint, setEndpoint] = useState('')
  const [serverUri, setServerUri] = useState('')
  const [bootstrapUri, setBootstrapUri] = useState('')
  const [confirming, setConfirming] = useState<string>()
  const [moving, setMoving] = useState<string>()
  const [moveUri, setMoveUri] = useState('')
  const token = session.token
  const moveInput = useRef<HTMLInputElement>(null)
  useEffect(() => moveInput.current?.focus(), [moving])

  // Registered devices first, then those provisioned on chain that are not registered; a page at a time.
  const list = usePagedList<DeviceRecord>(async (o) => api<PageBody<DeviceRecord>>('GET', `/clients${pageQuery(o)}`, { token }))
  const { items: devices, error, ok, busy, run } = list

  const add = (e: Event): void => {
    e.preventDefault()
    void run(async () => {
      const body: Record<string, string> = { endpoint: endpoint.trim() }
      if (serverUri.trim()) body.serverUri = serverUri.trim()
      if (bootstrapUri.trim()) body.bootstrapUri = bootstrapUri.trim()
      const c = await api<Credentials>('POST', '/admin/clients', { token, body })
      setCreated(c)
      setEndpoint('')
      return `Device ${c.endpoint ?? body.endpoint} added.`
    })
  }
  const remove = (ep: string): void => {
    setConfirming(undefined)
    void run(async () => {
      await api('DELETE', `/admin/clients/${encodeURIComponent(ep)}`, { token })
      return `Device ${ep} removed; its credentials no longer work.`
    })
  }
  const move = (e: Event): void => {
    e.preventDefault()
    const ep = moving!
    void run(async () => {
      await api('POST', `/admin/clients/${encodeURIComponent(ep)}/move`, { token, body: { serverUri: moveUri.trim() } })
      setMoving(undefined)
      setMoveUri('')
      return `Device ${ep} moved to ${moveUri.trim()}; it re-bootstraps there.`
    })
  }

  return (
    <section aria-labelledby="admin-devices-title">
      <h1 id="admin-devices-title">Manage devices</h1>
      {writesOff ? <WritesOff reason={writesOff} /> : canWrite && (
      <form class="card" onSubmit={add} aria-labelledby="add-device-title">
        <h2 id="add-device-title">Add a device</h2>
        <div class="row">
          <div>
            <label for="dev-endpoint">Endpoint name</label>
            <input id="dev-endpoint" required value={endpoint} onInput={(e) => setEndpoint(e.currentTarget.value)} />
          </div>
          <div>
            <label for="dev-server-uri">LwM2M server URI (optional)</label>
            <input id="dev-server-uri" placeholder="coaps://host:5684" value={serverUri} onInput={(e) => setServerUri(e.currentTarget.value)} />
          </div>
          <div>
            <label for="dev-bootstrap-uri">Bootstrap URI (optional)</label>
            <input id="dev-bootstrap-uri" placeholder="coaps://host:5784" value={bootstrapUri} onInput={(e) => setBootstrapUri(e.currentTarget.value)} />
          </div>
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Working…' : 'Add device'}
        </button>
      </form>
      )}
      <Message error={error} ok={ok} />
      {created && <CreatedCredentials c={created} onDone={() => setCreated(undefined)} />}

      <h2>Devices on chain</h2>
      <Pager list={list} noun="devices" id="admin-devices" />
      {devices === undefined ? (
        <p>Loading…</p>
      ) : devices.length === 0 ? (
        <p>{list.q.trim() ? 'No device matches.' : 'No device yet.'}</p>
      ) : (
        <table>
          <caption class="sr-only">Devices on chain</caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Status</th>
              <th scope="col">Last update</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.endpoint} data-endpoint={d.endpoint}>
                <th scope="row">{d.endpoint}</th>
                <td>{d.status === 'registered' ? 'Registered' : d.status === 'provisioned' ? 'Provisioned, not registered' : (d.status ?? '—')}</td>
                <td>{formatTime(d.lastUpdate)}</td>
                <td class="actions">
                  {!canWrite ? null : confirming === d.endpoint ? (
                    <>
                      <button type="button" class="danger" onClick={() => remove(d.endpoint)} disabled={busy}>
                        Confirm removal of {d.endpoint}
                      </button>
                      <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <>
                      <button type="button" class="secondary" onClick={() => setMoving(moving === d.endpoint ? undefined : d.endpoint)} aria-expanded={moving === d.endpoint} aria-label={`Move ${d.endpoint}`}>
                        Move
                      </button>
                      <button type="button" class="danger" onClick={() => setConfirming(d.endpoint)} aria-label={`Remove ${d.endpoint}`}>
                        Remove
                      </button>
                    </>
                  )}
                  {moving === d.endpoint && (
                    <form class="inline" onSubmit={move}>
                      <label for="move-uri">New server URI for {d.endpoint}</label>
                      <input ref={moveInput} id="move-uri" required placeholder="coaps://other:5684" value={moveUri} onInput={(e) => setMoveUri(e.currentTarget.value)} />
                      <button type="submit" disabled={busy}>
                        Move
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** The generated PSKs, shown once: they are sealed on chain and this console cannot show them again. */
function CreatedCredentials({ c, onDone }: { c: Credentials; onDone: () => void }) {
  const rows: [string, string][] = [
    ['Bootstrap URI', c.bootstrap?.uri],
    ['Bootstrap PSK identity', c.bootstrap?.identity],
    ['Bootstrap PSK key (hex)', c.bootstrap?.key],
    ['Server URI', c.server?.uri],
    ['Server PSK identity', c.server?.identity],
    ['Server PSK key (hex)', c.server?.key],
  ].filter((r): r is [string, string] => typeof r[1] === 'string')
  return (
    <div class="card secret" role="region" aria-labelledby="creds-title">
      <h2 id="creds-title">Credentials of {c.endpoint}</h2>
      <p class="warn">Shown once: copy them into the device now. They are sealed on chain and cannot be displayed again.</p>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <code>{v}</code> <CopyButton text={v} label={k} />
            </dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onDone}>
        I have saved them
      </button>
    </div>
  )
}
