import { createElement as h, useEffect, useState, type ReactElement } from 'react'
import { Box, Text, render, useStdout } from 'ink'
import type { DevSnapshot } from './stats.js'
import type { DevReady } from './run.js'

interface DashboardProps {
  ready: DevReady
  adminCreated: boolean
  dataDir: string
  sample: () => DevSnapshot
}

const STATE_COLOR: Record<string, string> = { registered: 'green', failed: 'red', stopped: 'gray', idle: 'gray' }
/** Lines the dashboard uses besides the device rows (header, counters, table head, page line). */
const CHROME_LINES = 11
/** A page is shown this long before the next one (keys would need raw mode, which would take Ctrl-C from the ordered shutdown). */
export const PAGE_TURN_MS = 5_000

/** The rows of page `page` (wrapping) when `perPage` fit, and the page line under them. */
export function dashboardPage<T>(all: readonly T[], perPage: number, page: number): { rows: T[]; page: number; pages: number; line?: string } {
  const size = Math.max(1, perPage)
  const pages = Math.max(1, Math.ceil(all.length / size))
  const at = ((page % pages) + pages) % pages
  const rows = all.slice(at * size, at * size + size)
  if (pages === 1) return { rows, page: 0, pages }
  return { rows, page: at, pages, line: `page ${at + 1}/${pages}: devices ${at * size + 1}–${at * size + rows.length} of ${all.length} (pages turn every ${PAGE_TURN_MS / 1000} s)` }
}

function Dashboard(p: DashboardProps): ReactElement {
  const [snap, setSnap] = useState<DevSnapshot>(() => p.sample())
  const [page, setPage] = useState(0)
  const { stdout } = useStdout()
  useEffect(() => {
    const t = setInterval(() => setSnap(p.sample()), 1000)
    const turn = setInterval(() => setPage((n) => n + 1), PAGE_TURN_MS)
    return () => {
      clearInterval(t)
      clearInterval(turn)
    }
  }, [p])
  const a = snap.anomalies
  const shown = dashboardPage(snap.devices, (stdout.rows ?? 24) - CHROME_LINES, page)
  const rows = shown.rows
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
      ? h(Text, { color: 'gray' }, 'no device registered (start with --demo N, or run `lwchain simulate`)')
      : h(
          Box,
          { flexDirection: 'column' },
          h(Text, { bold: true }, pad('device', 24) + pad('state', 14) + pad('°C', 8) + 'requests'),
          ...rows.map((d) =>
            h(
              Text,
              { key: d.endpoint },
              pad(d.endpoint, 24),
              h(Text, { color: STATE_COLOR[d.state] ?? 'yellow' }, pad(d.state, 14)),
              pad(d.temperature === undefined ? '—' : d.temperature.toFixed(1), 8),
              d.demo ? String(d.requests ?? 0) : h(Text, { color: 'gray' }, 'not a demo device'),
            ),
          ),
          shown.line ? h(Text, { color: 'gray' }, shown.line) : null,
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
