import type { FleetDeviceStatus } from '../simulate/fleet.js'
import type { RunningDev } from './run.js'

/** One row of the dashboard: a device registered at the server, or a demo device (registered or not). */
export interface DashboardDevice {
  endpoint: string
  /** The demo device's state; `registered` for a device that is not one of dev's own. */
  state: string
  /** Latest temperature: the server's latest value (any device), else the demo device's own. */
  temperature?: number
  /** Requests a demo device answered (unknown for other devices). */
  requests?: number
  demo: boolean
}

const TEMPERATURE = '/3303/0/5700'

/**
 * Every device the dashboard lists: all registrations at the server (demo or not) and the demo
 * devices that are not registered (failed, stopped...), sorted by endpoint.
 */
export function dashboardDevices(
  registered: Iterable<{ endpoint: string }>,
  demo: readonly FleetDeviceStatus[],
  latestTemperature: (endpoint: string) => number | undefined,
): DashboardDevice[] {
  const byName = new Map<string, DashboardDevice>()
  for (const d of demo) byName.set(d.endpoint, { endpoint: d.endpoint, state: d.state, temperature: latestTemperature(d.endpoint) ?? d.temperature, requests: d.requests, demo: true })
  for (const r of registered) {
    if (byName.has(r.endpoint)) continue
    const t = latestTemperature(r.endpoint)
    byName.set(r.endpoint, { endpoint: r.endpoint, state: 'registered', ...(t !== undefined && { temperature: t }), demo: false })
  }
  return [...byName.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0))
}

/** What the dashboard shows, sampled once a second. */
export interface DevSnapshot {
  devices: DashboardDevice[]
  registrations: number
  chainHeight?: number
  chainHealthy: boolean
  /** Bootstrap sessions started plus registrations, per second over the last sample. */
  handshakesPerSec: number
  /** Requests the demo devices answered, per second over the last sample. */
  requestsPerSec: number
  anomalies?: { count: number; more: boolean; latest?: { id: string; endpoint: string; level: number; timestamp: string } }
}

/** Samples a running dev environment; rates are computed against the previous sample. */
export function createDevSampler(dev: RunningDev): { sample(): DevSnapshot; stop(): void } {
  let registeredEvents = 0
  const onReg = (): void => void registeredEvents++
  dev.server.daemon.events.on('registered', onReg)
  let last = { at: Date.now(), handshakes: 0, requests: 0 }
  let anomalies: DevSnapshot['anomalies']
  let token: string | undefined
  let polling = false

  // Anomalies come through the REST API (when the server has it): log in as the admin, read one page.
  const pollAnomalies = async (): Promise<void> => {
    if (polling) return
    polling = true
    try {
      token ??= await login(dev)
      if (!token) return
      const res = await fetch(`${dev.ready.api}/anomalies?limit=1000`, { headers: { authorization: `Bearer ${token}` } })
      if (res.status === 401) token = undefined
      if (!res.ok) return
      const page = (await res.json()) as { items?: { id: string; endpoint: string; level: number; timestamp: string }[]; next?: string | null }
      const items = page.items ?? []
      anomalies = { count: items.length, more: Boolean(page.next), latest: items.at(-1) }
    } catch {
      // No API yet, or the server is stopping: the dashboard shows "n/a".
    } finally {
      polling = false
    }
  }
  const timer = setInterval(() => void pollAnomalies(), 5000)
  timer.unref()
  void pollAnomalies()

  return {
    sample() {
      const demo = dev.fleet?.status() ?? []
      const latest = dev.server.rest?.values
      const devices = dashboardDevices(dev.server.daemon.registrations.all(), demo, (ep) => {
        const v = latest?.latest(ep)[TEMPERATURE]?.value
        return typeof v === 'number' ? v : undefined
      })
      const bs = dev.bootstrap.daemon.stats()
      const handshakes = bs.authorized + registeredEvents
      const requests = demo.reduce((n, d) => n + d.requests, 0)
      const now = Date.now()
      const secs = Math.max(0.001, (now - last.at) / 1000)
      const snap: DevSnapshot = {
        devices,
        registrations: dev.server.daemon.stats().registrations,
        chainHeight: dev.server.view?.lag().lastSeenHead,
        chainHealthy: dev.server.view?.lag().healthy ?? true,
        handshakesPerSec: (handshakes - last.handshakes) / secs,
        requestsPerSec: (requests - last.requests) / secs,
        anomalies,
      }
      last = { at: now, handshakes, requests }
      return snap
    },
    stop() {
      clearInterval(timer)
      dev.server.daemon.events.off('registered', onReg)
    },
  }
}

async function login(dev: RunningDev): Promise<string | undefined> {
  const res = await fetch(`${dev.ready.api}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(dev.ready.admin),
  })
  if (!res.ok) return undefined
  const body = (await res.json()) as { token?: string }
  return body.token
}
