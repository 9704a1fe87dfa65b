import { createElement as h, useEffect, useState, type ReactElement } from 'react'
import { Box, Text, render } from 'ink'
import type { DevSnapshot } from './stats.js'
import type { DevReady } from './run.js'

interface DashboardProps {
  ready: DevReady
  adminCreated: boolean
  dataDir: string
  sample: () => DevSnapshot
}

const STATE_COLOR: Record<string, string> = { registered: 'green', failed: 'red', stopped: 'gray', idle: 'gray' }
const MAX_ROWS = 12

function Dashboard(p: DashboardProps): ReactElement {
  const [snap, setSnap] = useState<DevSnapshot>(() => p.sample())
  useEffect(() => {
    const t = setInterval(() => setSnap(p.sample()), 1000)
    return () => clearInterval(t)
  }, [p])
  const a = snap.anomalies
  const rows = snap.devices.slice(0, MAX_ROWS)
  return h(
    Box,
    { flexDirection: 'column', paddingX: 1 },
    h(Text, { bold: true }, 'lwchain dev', h(Text, { color: 'gray' }, `  (${p.dataDir}; Ctrl-C stops everything)`)),
    h(Text, null, `API ${p.ready.api}   RPC ${p.ready.rpc}`),
    h(Text, null, `bootstrap ${p.ready.bootstrap}   server ${p.ready.server}`),
    h(
      Text,
      null,
      `admin login: ${p.ready.admin.username} / ${p.ready.admin.password}`,
      h(Text, { color: 'gray' }, p.adminCreated ? '  (new; kept in config/admin.json, 0600)' : '  (from config/admin.json)'),
    ),
    h(Text, null, ' '),
    h(
      Text,
      null,
      `chain height ${snap.chainHeight ?? '?'}`,
      snap.chainHealthy ? '' : h(Text, { color: 'red' }, ' (view lagging)'),
      `   registrations ${snap.registrations}   handshakes ${snap.handshakesPerSec.toFixed(1)}/s   device requests ${snap.requestsPerSec.toFixed(1)}/s`,
    ),
    h(
      Text,
      null,
      'anomalies ',
      a ? `${a.count}${a.more ? '+' : ''}` : 'n/a',
      a?.latest ? `   latest ${a.latest.id} ${a.latest.endpoint} level ${a.latest.level} at ${a.latest.timestamp}` : '',
    ),
    h(Text, null, ' '),
    snap.devices.length === 0
      ? h(Text, { color: 'gray' }, 'no demo devices (start with --demo N, or run `lwchain simulate`)')
      : h(
          Box,
          { flexDirection: 'column' },
          h(Text, { bold: true }, pad('device', 16) + pad('state', 14) + pad('°C', 8) + 'requests'),
          ...rows.map((d) =>
            h(
              Text,
              { key: d.endpoint },
              pad(d.endpoint, 16),
              h(Text, { color: STATE_COLOR[d.state] ?? 'yellow' }, pad(d.state, 14)),
              pad(d.temperature.toFixed(1), 8),
              String(d.requests),
            ),
          ),
          snap.devices.length > MAX_ROWS ? h(Text, { color: 'gray' }, `… and ${snap.devices.length - MAX_ROWS} more`) : null,
        ),
  )
}

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n - 1) + ' ' : s.padEnd(n)
}

/** Renders the live dashboard on the terminal; returns its unmount. */
export function showDashboard(p: DashboardProps): () => void {
  // Ctrl-C is handled by the command (ordered shutdown), not by ink.
  const app = render(h(Dashboard, p), { exitOnCtrlC: false, patchConsole: true })
  return () => app.unmount()
}
