import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { InvalidRulesError } from '../../src/lwm2m/server/thresholds.js'
import { loadThresholdRules } from '../../src/commands/serve/server.js'
import { eventually, givenApiSystem, openEvents, type ApiSystem } from './devices-helpers.js'

describe('threshold rules end to end (observe on registration, anomaly on crossing)', () => {
  let sys: ApiSystem
  beforeAll(async () => {
    const rules = join(tmpdir(), `lwchain-rules-${process.pid}.json`)
    writeFileSync(rules, JSON.stringify({ rules: [{ path: '/3303/0/5700', thresholds: [40, 45, 50] }] }))
    sys = await givenApiSystem({ rules })
  })
  afterAll(async () => {
    await sys?.stop()
    for (const f of [`lwchain-rules-${process.pid}.json`, `lwchain-bad-rules-${process.pid}.json`]) rmSync(join(tmpdir(), f), { force: true })
  })

  const anomaliesOf = (endpoint: string) => sys.server.ledger!.list({ endpoint }).items

  it('posts one level-2 anomaly when the device temperature goes to 46, and no more while it stays there', async () => {
    const events = await openEvents(sys.base, `?endpoint=hot-1&token=${sys.tokens.user}`)
    const dev = await sys.device('hot-1')
    // The rule observes the device once it registered.
    await eventually(() => sys.server.daemon.stats().observations > 0)
    dev.temperature(46)
    await eventually(() => anomaliesOf('hot-1').length > 0)
    const [a] = anomaliesOf('hot-1')
    expect(a).toMatchObject({ endpoint: 'hot-1', level: 2, data: { source: 'threshold-rule', path: '/3303/0/5700', value: 46, threshold: 45 } })
    const seen = await events.next((e) => e.event === 'anomaly')
    expect(seen.data).toMatchObject({ endpoint: 'hot-1', anomaly: { level: 2 } })

    // Still level 2: notifications, but no second anomaly; a rise to 51 is level 3.
    dev.temperature(47)
    dev.temperature(45.5)
    dev.temperature(51)
    await eventually(() => anomaliesOf('hot-1').length === 2)
    expect(anomaliesOf('hot-1').map((x) => x.level)).toEqual([2, 3])
    events.close()

    // Listed through the API as well, and anchored on chain in time.
    await sys.server.ledger!.flush()
    const res = await sys.call('GET', '/api/anomalies?endpoint=hot-1', { role: 'user' })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { items: Array<{ level: number }> }
    expect(body.items.map((i) => i.level)).toEqual([2, 3])
  })

  it('does not post for a device below every threshold', async () => {
    const events = await openEvents(sys.base, `?endpoint=cool-1&token=${sys.tokens.user}`)
    const before = sys.server.rules!.posted()
    const observing = sys.server.daemon.stats().observations
    const dev = await sys.device('cool-1', 20)
    // Two new observations of cool-1's temperature: the rule's and the API's auto-observe.
    await eventually(() => sys.server.daemon.registrations.byEndpoint('cool-1') !== undefined && sys.server.daemon.stats().observations >= observing + 2)
    dev.temperature(39.9)
    dev.temperature(21)
    // The rule sees each notification as it is emitted, before the stream carries it.
    await events.next((e) => e.event === 'notification' && (e.data.values as Record<string, unknown>)['/3303/0/5700'] === 21)
    events.close()
    expect(sys.server.rules!.posted()).toBe(before)
    expect(anomaliesOf('cool-1')).toEqual([])
  })

  it('posts one anomaly when a device Sends (POST /dp) a value over a threshold, and the next level on a further rise', async () => {
    // Registered, but it never answers a request (the rule's observe): only its Sends carry values.
    const d = await sys.silentDevice('send-hot-1')
    const dp = async (value: number) => {
      const payload = `[{"bn":"/3303/0/","n":"5700","v":${value}}]`
      expect((await d.request({ method: 'POST', path: ['dp'], contentFormat: ContentFormat.SENML_JSON, payload })).code).toBe('2.04')
    }
    await dp(30)
    await dp(46)
    await eventually(() => anomaliesOf('send-hot-1').length > 0)
    expect(anomaliesOf('send-hot-1')).toMatchObject([{ endpoint: 'send-hot-1', level: 2, data: { source: 'threshold-rule', path: '/3303/0/5700', value: 46, threshold: 45 } }])
    // Still level 2 (no anomaly), then level 3: the second anomaly is the 51, not the 47.
    await dp(47)
    await dp(51)
    await eventually(() => anomaliesOf('send-hot-1').length === 2)
    expect(anomaliesOf('send-hot-1').map((a) => [a.level, (a.data as { value: number }).value])).toEqual([
      [2, 46],
      [3, 51],
    ])
  })

  it('refuses a malformed rules file at start', () => {
    const bad = join(tmpdir(), `lwchain-bad-rules-${process.pid}.json`)
    writeFileSync(bad, JSON.stringify({ rules: [{ path: '/3303/0/5700', thresholds: [50, 40] }] }))
    expect(() => loadThresholdRules({ rules: bad })).toThrow(InvalidRulesError)
    expect(() => loadThresholdRules({ rules: join(tmpdir(), 'no-such-rules.json') })).toThrow(InvalidRulesError)
    expect(loadThresholdRules({ threshold: ['/3303/0/5700=40,45,50'] })).toHaveLength(1)
  })
})
