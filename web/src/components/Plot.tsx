/** One numeric sample. */
export interface Sample {
  time: number
  value: number
}

/**
 * A small time plot of recent values (SVG, no library): a line over time, the last value as a
 * dot, min and max on the left. Screen readers get the range and the last value as text.
 */
export function Plot({ samples, label, unit }: { samples: Sample[]; label: string; unit?: string }) {
  if (samples.length < 2) return null
  const w = 180
  const h = 40
  const pad = 3
  const t0 = samples[0]!.time
  const t1 = samples[samples.length - 1]!.time
  let min = Infinity
  let max = -Infinity
  for (const s of samples) {
    min = Math.min(min, s.value)
    max = Math.max(max, s.value)
  }
  const spanT = Math.max(1, t1 - t0)
  const spanV = max - min || 1
  const x = (t: number): number => pad + ((t - t0) / spanT) * (w - 2 * pad)
  const y = (v: number): number => (max === min ? h / 2 : h - pad - ((v - min) / spanV) * (h - 2 * pad))
  const points = samples.map((s) => `${x(s.time).toFixed(1)},${y(s.value).toFixed(1)}`).join(' ')
  const last = samples[samples.length - 1]!
  const u = unit ? ` ${unit}` : ''
  const fmt = (v: number): string => String(Math.round(v * 100) / 100)
  return (
    <figure class="plot">
      <svg width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${label}: last ${samples.length} values from ${fmt(min)} to ${fmt(max)}${u}, latest ${fmt(last.value)}${u}`}>
        <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
        <circle cx={x(last.time)} cy={y(last.value)} r="2.5" fill="currentColor" />
      </svg>
      <figcaption aria-hidden="true">
        <span>{fmt(max)}</span>
        <span>{fmt(min)}</span>
      </figcaption>
    </figure>
  )
}
