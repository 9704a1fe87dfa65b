/**
 * Runs the threshold rules on a server daemon: observes each rule's resource on every device that
 * registers, feeds the values (first answer and notifications) to the hysteresis tracker, and
 * posts one anomaly per level rise (Send values feed it too) (through the ledger, without an external application).
 */
import type { Logger } from '../logger.js'
import type { LwM2mNode } from '../lwm2m/node.js'
import { formatPath, parsePath } from '../lwm2m/path.js'
import type { LwM2mObservation } from '../lwm2m/request/sender.js'
import type { Registration } from '../lwm2m/server/index.js'
import { createThresholdTracker, type ThresholdCrossing, type ThresholdRule } from '../lwm2m/server/thresholds.js'
import type { NotificationEvent, SendEvent, ServerDaemon } from './server.js'

export interface ThresholdRulesDeps {
  daemon: ServerDaemon
  rules: readonly ThresholdRule[]
  /** Where a crossing goes (the ledger's accept); resolves with the anomaly id. */
  post: (crossing: ThresholdCrossing) => Promise<{ id: string }>
  logger: Logger
}

/** The running rules. */
export interface ThresholdRules {
  /** Anomalies posted since start. */
  posted(): number
  stop(): Promise<void>
}

/** Numeric value of a single-resource node (anything else is not a thresholdable reading). */
function numericValue(node: LwM2mNode | undefined): number | undefined {
  if (!node || node.kind !== 'resource') return undefined
  const v = node.value
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  return undefined
}

/** Starts the rules on the daemon's events; stop() cancels the observations it made. */
export function startThresholdRules(deps: ThresholdRulesDeps): ThresholdRules {
  const log = deps.logger.child({ component: 'threshold-rules' })
  const tracker = createThresholdTracker()
  const observations = new Map<string, LwM2mObservation>()
  let posted = 0
  let stopped = false

  const applies = (rule: ThresholdRule, endpoint: string) => !rule.endpoints || rule.endpoints.includes(endpoint)

  const evaluate = (endpoint: string, rule: ThresholdRule, node: LwM2mNode | undefined): void => {
    const value = numericValue(node)
    if (value !== undefined) evaluateValue(endpoint, rule, value)
  }
  const evaluateValue = (endpoint: string, rule: ThresholdRule, value: number): void => {
    const crossing = tracker.observe(endpoint, rule, value)
    if (!crossing) return
    posted++
    deps.post(crossing).then(
      ({ id }) => log.info({ endpoint, path: rule.path, level: crossing.level, value, id }, 'threshold crossed: anomaly posted'),
      (err: unknown) => log.warn({ endpoint, path: rule.path, level: crossing.level, err: (err as Error).message }, 'threshold crossed but the anomaly was not accepted'),
    )
  }

  const observe = async (reg: Registration, rule: ThresholdRule): Promise<void> => {
    const path = parsePath(rule.path)
    try {
      if (rule.pmin !== undefined || rule.pmax !== undefined) {
        await deps.daemon.send(reg.endpoint, {
          kind: 'writeAttributes',
          path,
          attributes: { ...(rule.pmin !== undefined && { pmin: rule.pmin }), ...(rule.pmax !== undefined && { pmax: rule.pmax }) },
        })
      }
      const obs = await deps.daemon.observe(reg.endpoint, { kind: 'observe', path })
      if (stopped) {
        await obs.cancel()
        return
      }
      if (!obs.active) {
        log.debug({ endpoint: reg.endpoint, path: rule.path, code: obs.response.coapCode }, 'threshold rule: device did not accept the observation')
        return
      }
      observations.set(`${reg.endpoint} ${rule.path}`, obs)
      evaluate(reg.endpoint, rule, obs.response.node)
    } catch (err) {
      log.debug({ endpoint: reg.endpoint, path: rule.path, err: (err as Error).message }, 'threshold rule: cannot observe')
    }
  }

  const onRegistered = (reg: Registration) => {
    if (stopped) return
    // After the registration answer went out: the device handles requests once it knows it is registered.
    setTimeout(() => {
      for (const rule of deps.rules) if (applies(rule, reg.endpoint)) void observe(reg, rule)
    }, 50).unref()
  }
  const onDeregistered = (reg: Registration) => {
    tracker.forget(reg.endpoint)
    for (const key of [...observations.keys()]) if (key.startsWith(`${reg.endpoint} `)) observations.delete(key)
  }
  const onNotification = (n: NotificationEvent) => {
    for (const rule of deps.rules) if (rule.path === n.path && applies(rule, n.endpoint)) evaluate(n.endpoint, rule, n.node)
    // An Observe-Composite notification carries each observed path's node: a rule on one of them applies.
    for (const [p, node] of n.composite ?? []) {
      const at = formatPath(p)
      for (const rule of deps.rules) if (rule.path === at && applies(rule, n.endpoint)) evaluate(n.endpoint, rule, node)
    }
  }
  // Send (POST /dp) values count as readings too, in the order the device listed them.
  const onSend = (e: SendEvent) => {
    for (const v of e.values) {
      if (typeof v.value !== 'number') continue
      for (const rule of deps.rules) if (rule.path === v.path && applies(rule, e.endpoint)) evaluateValue(e.endpoint, rule, v.value)
    }
  }
  deps.daemon.events.on('registered', onRegistered)
  deps.daemon.events.on('deregistered', onDeregistered)
  deps.daemon.events.on('notification', onNotification)
  deps.daemon.events.on('send', onSend)
  // Devices already registered when the rules start.
  for (const reg of deps.daemon.registrations.all()) onRegistered(reg)

  return {
    posted: () => posted,
    async stop() {
      stopped = true
      deps.daemon.events.off('registered', onRegistered)
      deps.daemon.events.off('deregistered', onDeregistered)
      deps.daemon.events.off('notification', onNotification)
      deps.daemon.events.off('send', onSend)
      const all = [...observations.values()]
      observations.clear()
      await Promise.allSettled(all.map((o) => o.cancel()))
    },
  }
}
