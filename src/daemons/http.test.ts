import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logger.js'
import { createHttpApp, healthReport } from './http.js'

const lag = (healthy: boolean) => ({ behindBlocks: 0, lastSyncedBlock: 7, lastSeenHead: 9, sinceMs: healthy ? 10 : Infinity, healthy, ...(!healthy && { lastError: 'fetch failed' }) })

describe('/api/health', () => {
  it('is ok without a chain (memory store) and with a healthy view', () => {
    expect(healthReport(2, undefined)).toEqual({ status: 'ok', registrations: 2, chain: null })
    expect(healthReport(0, lag(true)).status).toBe('ok')
  })

  it('is degraded while the chain view cannot sync, and still answers JSON', async () => {
    const app = createHttpApp({ logger: silentLogger(), health: () => healthReport(1, lag(false)) })
    try {
      const res = await app.inject({ method: 'GET', url: '/api/health' })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ status: 'degraded', registrations: 1, chain: { healthy: false, sinceMs: null, lastError: 'fetch failed' } })
    } finally {
      await app.close()
    }
  })
})
