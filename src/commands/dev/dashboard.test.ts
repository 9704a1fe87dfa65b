import { describe, expect, it } from 'vitest'
import { dashboardPage } from './dashboard.js'
import { dashboardDevices } from './stats.js'

describe('dev dashboard rows', () => {
  it('lists every registered device, demo or not, and demo devices that are not registered', () => {
    const demo = [
      { endpoint: 'demo-1', state: 'registered' as const, temperature: 21, requests: 3 },
      { endpoint: 'demo-2', state: 'failed' as const, temperature: 20, requests: 0 },
    ]
    const registered = [{ endpoint: 'demo-1' }, { endpoint: 'sensor-7' }, { endpoint: 'a-first' }]
    const rows = dashboardDevices(registered, demo, (ep) => (ep === 'sensor-7' ? 30.5 : ep === 'demo-1' ? 22 : undefined))
    expect(rows).toEqual([
      { endpoint: 'a-first', state: 'registered', demo: false },
      { endpoint: 'demo-1', state: 'registered', temperature: 22, requests: 3, demo: true },
      { endpoint: 'demo-2', state: 'failed', temperature: 20, requests: 0, demo: true },
      { endpoint: 'sensor-7', state: 'registered', temperature: 30.5, demo: false },
    ])
  })

  it('pages when more rows than fit, wrapping around', () => {
    const all = Array.from({ length: 25 }, (_, i) => i)
    expect(dashboardPage(all, 30, 0)).toEqual({ rows: all, page: 0, pages: 1 })
    const second = dashboardPage(all, 10, 1)
    expect(second.rows).toEqual(all.slice(10, 20))
    expect(second.line).toMatch(/^page 2\/3: devices 11–20 of 25/)
    expect(dashboardPage(all, 10, 3).rows).toEqual(all.slice(0, 10))
    expect(dashboardPage(all, 10, 2).rows).toEqual(all.slice(20))
  })
})
