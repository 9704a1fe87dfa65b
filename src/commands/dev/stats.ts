import type { FleetDeviceStatus } from '../simulate/fleet.js'
import type { RunningDev } from './run.js'

/** What the dashboard shows, sampled once a second. */
export interface DevSnapshot {
  devices: FleetDeviceStatus[]
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
      const devices = dev.fleet?.status() ?? []
      const bs = dev.bootstrap.daemon.stats()
      const handshakes = bs.authorized + registeredEvents
      const requests = devices.reduce((n, d) => n + d.requests, 0)
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
