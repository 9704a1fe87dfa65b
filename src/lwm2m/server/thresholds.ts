/**
 * Threshold rules (no I/O): which resource the server observes on every device that registers,
 * and when an observed value becomes an anomaly. Levels are counted as the reference did
 * (40 / 45 / 50 °C → levels 1 / 2 / 3): the level of a value is the number of thresholds it
 * reaches. One anomaly per crossing: an anomaly is raised only when the level rises; the level
 * falls back only once the value is `hysteresis` below the threshold, so a value dithering
 * around 45 does not post one anomaly per notification.
 */
import { LwchainError } from '../../errors/base.js'
import { formatPath, parsePath, pathLevel } from '../path.js'

/** One rule: observe `path` on every device, raise anomalies at `thresholds` (ascending, level i+1 at thresholds[i]). */
export interface ThresholdRule {
  path: string
  thresholds: number[]
  /** How far below a threshold a value must fall before that level can be raised again. Default 1. */
  hysteresis: number
  /** Only these endpoints (default every device that registers). */
  endpoints?: string[]
  /** Observation attributes written before observing (optional). */
  pmin?: number
  pmax?: number
}

/** The reference implementation's rule: device temperature /3303/0/5700 at 40 / 45 / 50 °C. */
export const DEFAULT_THRESHOLD_RULE: ThresholdRule = Object.freeze({ path: '/3303/0/5700', thresholds: [40, 45, 50], hysteresis: 1 }) as ThresholdRule

/** A rules file or flag that does not describe valid rules. */
export class InvalidRulesError extends LwchainError {
  override name = 'InvalidRulesError'
  constructor(reason: string) {
    super(`invalid threshold rules: ${reason}`, { code: 'LWC_INVALID_RULES', kind: 'usage' })
  }
}

const MAX_RULES = 64
const MAX_LEVELS = 255

/** Validates a rules document: `{ "rules": [ {path, thresholds, hysteresis?, endpoints?, pmin?, pmax?} ] }` or the bare array. */
export function parseThresholdRules(doc: unknown): ThresholdRule[] {
  const list = Array.isArray(doc) ? doc : (doc as { rules?: unknown } | null)?.rules
  if (!Array.isArray(list)) throw new InvalidRulesError('expected {"rules": [...]} or an array of rules')
  if (list.length > MAX_RULES) throw new InvalidRulesError(`more than ${MAX_RULES} rules`)
  return list.map((r, i) => parseRule(r, `rule ${i + 1}`))
}

function parseRule(r: unknown, where: string): ThresholdRule {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvalidRulesError(`${where} is not an object`)
  const o = r as Record<string, unknown>
  if (typeof o.path !== 'string') throw new InvalidRulesError(`${where}: path must be a string like "/3303/0/5700"`)
  let path: string
  try {
    const p = parsePath(o.path)
    if (pathLevel(p) !== 'resource') throw new InvalidRulesError(`${where}: path ${o.path} is not a resource path`)
    path = formatPath(p)
  } catch (err) {
    if (err instanceof InvalidRulesError) throw err
    throw new InvalidRulesError(`${where}: ${(err as LwchainError).shortMessage ?? String(err)}`)
  }
  const t = o.thresholds
  if (!Array.isArray(t) || t.length === 0 || t.length > MAX_LEVELS || !t.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new InvalidRulesError(`${where}: thresholds must be 1 to ${MAX_LEVELS} finite numbers`)
  }
  for (let i = 1; i < t.length; i++) if (t[i] <= t[i - 1]) throw new InvalidRulesError(`${where}: thresholds must be strictly ascending`)
  const hysteresis = o.hysteresis ?? 1
  if (typeof hysteresis !== 'number' || !Number.isFinite(hysteresis) || hysteresis < 0) throw new InvalidRulesError(`${where}: hysteresis must be a number ≥ 0`)
  const rule: ThresholdRule = { path, thresholds: [...(t as number[])], hysteresis }
  if (o.endpoints !== undefined) {
    if (!Array.isArray(o.endpoints) || !o.endpoints.every((e) => typeof e === 'string' && e.length > 0)) throw new InvalidRulesError(`${where}: endpoints must be a list of names`)
    rule.endpoints = [...(o.endpoints as string[])]
  }
  for (const k of ['pmin', 'pmax'] as const) {
    const v = o[k]
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InvalidRulesError(`${where}: ${k} must be a whole number of seconds`)
    rule[k] = v
  }
  return rule
}

/** Parses a `--threshold PATH=40,45,50` flag (`default`: the reference's /3303/0/5700=40,45,50). */
export function parseThresholdFlag(text: string): ThresholdRule {
  if (text === 'default') return { ...DEFAULT_THRESHOLD_RULE, thresholds: [...DEFAULT_THRESHOLD_RULE.thresholds] }
  const eq = text.indexOf('=')
  if (eq < 0) throw new InvalidRulesError(`"${text}" is not PATH=T1,T2,...`)
  const thresholds = text.slice(eq + 1).split(',').map((s) => Number(s.trim()))
  return parseRule({ path: text.slice(0, eq), thresholds }, `--threshold ${text}`)
}

/** The level a value reaches on a rule (0 below the first threshold). */
export function levelOf(rule: Pick<ThresholdRule, 'thresholds'>, value: number): number {
  let level = 0
  while (level < rule.thresholds.length && value >= rule.thresholds[level]!) level++
  return level
}

/** What to post when a value raises the level. */
export interface ThresholdCrossing {
  endpoint: string
  path: string
  level: number
  value: number
  threshold: number
}

/** Per device and rule state: the level last raised. */
export interface ThresholdTracker {
  /** Feeds an observed value; returns the crossing to post when the level rose, else undefined. */
  observe(endpoint: string, rule: ThresholdRule, value: number): ThresholdCrossing | undefined
  /** Forgets a device (de-registered): its next value starts from level 0. */
  forget(endpoint: string): void
}

/** Creates the hysteresis state machine of the threshold rules. */
export function createThresholdTracker(): ThresholdTracker {
  const levels = new Map<string, number>()
  return {
    observe(endpoint, rule, value) {
      if (!Number.isFinite(value)) return undefined
      const key = `${endpoint} ${rule.path}`
      const current = levels.get(key) ?? 0
      const reached = levelOf(rule, value)
      if (reached > current) {
        levels.set(key, reached)
        return { endpoint, path: rule.path, level: reached, value, threshold: rule.thresholds[reached - 1]! }
      }
      // Fall back only when clearly below: a value within `hysteresis` under a threshold keeps its level.
      const kept = Math.max(reached, levelOf(rule, value + rule.hysteresis))
      if (kept < current) levels.set(key, kept)
      return undefined
    },
    forget(endpoint) {
      for (const key of [...levels.keys()]) if (key.startsWith(`${endpoint} `)) levels.delete(key)
    },
  }
}
