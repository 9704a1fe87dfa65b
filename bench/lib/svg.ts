// A tiny SVG chart writer (line and grouped-bar charts), so the benchmark needs no plotting package.

export interface Series {
  name: string
  /** One value per x label; NaN leaves a gap. */
  values: number[]
}

export interface ChartSpec {
  title: string
  xLabel: string
  yLabel: string
  x: string[]
  series: Series[]
  kind: 'line' | 'bar'
  /** A horizontal reference line (a target), drawn dashed. */
  target?: { value: number; label: string }
  logY?: boolean
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b']
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const e = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v) return m * e
  return 10 * e
}

const tickText = (v: number) => (Math.abs(v) >= 10_000 ? `${+(v / 1000).toPrecision(3)}k` : `${+v.toPrecision(3)}`)

/** Renders a chart as a standalone SVG document. */
export function renderChart(spec: ChartSpec): string {
  const W = 640, H = 380, L = 70, R = 150, T = 40, B = 55
  const pw = W - L - R, ph = H - T - B
  const all = spec.series.flatMap((s) => s.values).concat(spec.target ? [spec.target.value] : []).filter((v) => Number.isFinite(v))
  const logY = spec.logY === true && all.some((v) => v > 0)
  const lo = logY ? 10 ** Math.floor(Math.log10(Math.min(...all.filter((v) => v > 0)))) : 0
  const hi = logY ? 10 ** Math.ceil(Math.log10(Math.max(...all) * 1.0001)) : niceMax(Math.max(...all) * 1.1)
  const y = (v: number) => T + ph - (logY ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo)) * ph
  const n = spec.x.length
  const band = pw / Math.max(1, n)
  const xc = (i: number) => L + band * (i + 0.5)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(spec.title)}</text>`,
  ]
  const ticks = logY
    ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, k) => lo * 10 ** k)
    : Array.from({ length: 6 }, (_, k) => lo + ((hi - lo) * k) / 5)
  for (const t of ticks) {
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/>`)
    out.push(`<text x="${L - 6}" y="${y(t) + 4}" text-anchor="end">${tickText(t)}</text>`)
  }
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${T + ph}" stroke="black"/><line x1="${L}" x2="${L + pw}" y1="${T + ph}" y2="${T + ph}" stroke="black"/>`)
  spec.x.forEach((label, i) => out.push(`<text x="${xc(i)}" y="${T + ph + 16}" text-anchor="middle">${esc(label)}</text>`))
  out.push(`<text x="${L + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`)
  out.push(`<text transform="translate(16 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`)
  const k = spec.series.length
  spec.series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length]
    if (spec.kind === 'bar') {
      const bw = (band * 0.8) / k
      s.values.forEach((v, i) => {
        if (!Number.isFinite(v) || (logY && v <= 0)) return
        const x0 = L + band * i + band * 0.1 + bw * si
        out.push(`<rect x="${x0.toFixed(1)}" y="${y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(T + ph - y(v)).toFixed(1)}" fill="${color}"><title>${esc(s.name)}: ${v}</title></rect>`)
      })
    } else {
      const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${xc(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean)
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`)
      s.values.forEach((v, i) => Number.isFinite(v) && out.push(`<circle cx="${xc(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(s.name)}: ${v}</title></circle>`))
    }
    out.push(`<rect x="${L + pw + 12}" y="${T + 8 + si * 20}" width="12" height="12" fill="${color}"/><text x="${L + pw + 30}" y="${T + 18 + si * 20}">${esc(s.name)}</text>`)
  })
  if (spec.target && Number.isFinite(spec.target.value)) {
    const ty = y(spec.target.value)
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${ty}" y2="${ty}" stroke="#555" stroke-dasharray="6 4"/>`)
    out.push(`<text x="${L + pw - 4}" y="${ty - 5}" text-anchor="end" fill="#555">${esc(spec.target.label)}</text>`)
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
