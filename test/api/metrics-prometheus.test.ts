import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handDevice } from '../daemons/server-helpers.js'
import { givenApiSystem, ROLES, type ApiSystem } from './devices-helpers.js'

/** Parses the Prometheus text format strictly enough to catch a malformed line: name{labels} value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('# HELP ')) continue
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (t) {
      types.set(t[1]!, t[2]!)
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line)
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`)
    if (!types.has(m[1]!)) throw new Error(`sample before its TYPE: ${line}`)
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]))
  }
  return samples
}

describe('GET /api/metrics (Prometheus text)', () => {
  let sys: ApiSystem
  beforeAll(async () => {
    sys = await givenApiSystem()
    await sys.device('metrics-dev-1')
    // One failed handshake: an identity no client has.
    await handDevice(sys.server.address, 'nobody-here', new Uint8Array([1, 2, 3, 4])).then(
      (d) => d.stop(),
      () => undefined,
    )
    await sys.call('GET', '/api/clients/metrics-dev-1/3/0/0', { role: 'admin' })
    await sys.call('POST', '/api/anomalies', { role: 'admin', body: { endpoint: 'metrics-dev-1', level: 1, data: 'x' } })
    await sys.server.ledger!.flush()
  })
  afterAll(async () => {
    await sys?.stop()
  })

  it('serves parseable metrics covering registrations, handshakes, chain lag, outbox and anchored anomalies, requests', async () => {
    const res = await sys.call('GET', '/api/metrics', { role: 'admin' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const m = parseMetrics(await res.text())
    expect(m.get('lwchain_registrations')).toBe(1)
    expect(m.get('lwchain_registrations_total')).toBe(1)
    expect(m.get('lwchain_dtls_handshakes_total')).toBeGreaterThanOrEqual(1)
    expect(m.get('lwchain_dtls_handshake_failures_total{reason="unknown_identity"}')).toBe(1)
    expect(m.has('lwchain_dtls_handshake_failures_total{reason="other"}')).toBe(true)
    expect(m.get('lwchain_chain_lag_blocks')).toBeGreaterThanOrEqual(0)
    expect(m.get('lwchain_chain_healthy')).toBe(1)
    expect(m.get('lwchain_anomaly_outbox_depth')).toBe(0)
    expect(m.get('lwchain_anomalies_anchored_total')).toBe(1)
    expect(m.get('lwchain_http_requests_total{method="GET",route="/api/clients/:endpoint/:objectId/:instanceId/:resourceId",status="200"}')).toBe(1)
    expect(m.get('lwchain_http_requests_total{method="POST",route="/api/anomalies",status="202"}')).toBe(1)
  })

  it('is for admins only: user and application get 403, no token 401', async () => {
    for (const role of ROLES.filter((r) => r !== 'admin')) expect((await sys.call('GET', '/api/metrics', { role })).status, role).toBe(403)
    expect((await sys.call('GET', '/api/metrics')).status).toBe(401)
  })
})
