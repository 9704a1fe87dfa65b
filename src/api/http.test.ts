import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logger.js'
import { anchoringHealth, createHttpApp, healthReport, requestLogFields } from './http.js'

const lag = (healthy: boolean) => ({ behindBlocks: 0, lastSyncedBlock: 7, lastSeenHead: 9, sinceMs: healthy ? 10 : Infinity, healthy, ...(!healthy && { lastError: 'fetch failed' }) })

describe('/api/health', () => {
  it('is ok without a chain (memory store) and with a healthy view', () => {
    expect(healthReport(2, undefined)).toEqual({ status: 'ok', registrations: 2, chain: null })
    expect(healthReport(0, lag(true)).status).toBe('ok')
  })

  it('is degraded while anchoring needs an operator (no funds), not while it rides out an outage', () => {
    const poor = anchoringHealth({ lastError: 'the signer 0xabc has insufficient funds for gas: fund it or use another key', lastErrorCode: 'LWC_INSUFFICIENT_FUNDS' })
    expect(healthReport(0, lag(true), poor)).toMatchObject({ status: 'degraded', anchoring: { healthy: false, code: 'LWC_INSUFFICIENT_FUNDS', lastError: expect.stringMatching(/insufficient funds/) } })
    expect(healthReport(0, lag(true), anchoringHealth({ lastError: 'cannot reach the chain', lastErrorCode: 'LWC_CHAIN_UNREACHABLE' })).status).toBe('ok')
    expect(healthReport(0, lag(true), anchoringHealth({})).status).toBe('ok')
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

describe('request logging', () => {
  it('masks a token given in the query (EventSource) in request lines', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk))
        cb()
      },
    })
    const app = createHttpApp({ logger: pino({ level: 'info' }, sink), health: () => healthReport(0, undefined) })
    try {
      await app.inject({ method: 'GET', url: '/api/nowhere?endpoint=a&token=SECRET-TOKEN-1' })
      expect(lines.join('')).not.toContain('SECRET-TOKEN-1')
      expect(lines.join('')).toContain('/api/nowhere?endpoint=a&token=***')
    } finally {
      await app.close()
    }
  })

  it('masks credentials named in any query position', () => {
    expect(requestLogFields({ method: 'GET', url: '/a?token=x&password=y&key=z&b=1' }).url).toBe('/a?token=***&password=***&key=***&b=1')
  })
})
