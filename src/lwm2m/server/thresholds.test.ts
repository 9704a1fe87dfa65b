import { describe, expect, it } from 'vitest'
import { createThresholdTracker, DEFAULT_THRESHOLD_RULE, InvalidRulesError, levelOf, parseThresholdFlag, parseThresholdRules } from './thresholds.js'

const rule = DEFAULT_THRESHOLD_RULE

describe('threshold rules', () => {
  it('counts levels as the reference did: 40 / 45 / 50 °C are levels 1 / 2 / 3', () => {
    expect([21.5, 39.9, 40, 44.9, 45, 46, 50, 80].map((v) => levelOf(rule, v))).toEqual([0, 0, 1, 1, 2, 2, 3, 3])
  })

  it('raises one anomaly per crossing, not one per notification', () => {
    const t = createThresholdTracker()
    expect(t.observe('d', rule, 21)).toBeUndefined()
    expect(t.observe('d', rule, 46)).toEqual({ endpoint: 'd', path: '/3303/0/5700', level: 2, value: 46, threshold: 45 })
    expect(t.observe('d', rule, 46.5)).toBeUndefined()
    expect(t.observe('d', rule, 44.5)).toBeUndefined()
    expect(t.observe('d', rule, 45.2)).toBeUndefined()
    expect(t.observe('d', rule, 51)?.level).toBe(3)
  })

  it('re-arms a level only once the value fell a hysteresis below its threshold', () => {
    const t = createThresholdTracker()
    t.observe('d', rule, 46)
    expect(t.observe('d', rule, 43.5)).toBeUndefined()
    expect(t.observe('d', rule, 45.5)?.level).toBe(2)
  })

  it('keeps devices apart and forgets a de-registered one', () => {
    const t = createThresholdTracker()
    expect(t.observe('a', rule, 41)?.level).toBe(1)
    expect(t.observe('b', rule, 41)?.level).toBe(1)
    t.forget('a')
    expect(t.observe('a', rule, 41)?.level).toBe(1)
  })

  it('ignores values that are not finite numbers', () => {
    expect(createThresholdTracker().observe('d', rule, Number.NaN)).toBeUndefined()
  })

  it('parses a rules file and a --threshold flag', () => {
    expect(parseThresholdRules({ rules: [{ path: '/3303/0/5700', thresholds: [40, 45, 50] }] })).toEqual([rule])
    expect(parseThresholdRules([{ path: '/3303/0/5700', thresholds: [30], hysteresis: 0.5, endpoints: ['x'], pmin: 1 }])).toEqual([
      { path: '/3303/0/5700', thresholds: [30], hysteresis: 0.5, endpoints: ['x'], pmin: 1 },
    ])
    expect(parseThresholdFlag('/3303/0/5700=40,45,50')).toEqual(rule)
    expect(parseThresholdFlag('default')).toEqual(rule)
  })

  it('refuses malformed rules with a typed error', () => {
    const bad: unknown[] = [
      null,
      { rules: 'x' },
      { rules: [{ path: '/3303/0', thresholds: [1] }] },
      { rules: [{ path: 'nope', thresholds: [1] }] },
      { rules: [{ path: '/3303/0/5700', thresholds: [] }] },
      { rules: [{ path: '/3303/0/5700', thresholds: [45, 40] }] },
      { rules: [{ path: '/3303/0/5700', thresholds: ['40'] }] },
      { rules: [{ path: '/3303/0/5700', thresholds: [40], hysteresis: -1 }] },
      { rules: [{ path: '/3303/0/5700', thresholds: [40], pmin: 1.5 }] },
    ]
    for (const doc of bad) expect(() => parseThresholdRules(doc), JSON.stringify(doc)).toThrow(InvalidRulesError)
    expect(() => parseThresholdFlag('/3303/0/5700')).toThrow(InvalidRulesError)
    expect(() => parseThresholdFlag('/3303/0/5700=a,b')).toThrow(InvalidRulesError)
  })
})
