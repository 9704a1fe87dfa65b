import { endpointNameProblem } from '../endpoint-name.js'
import { RegistrationRequestError } from './errors.js'

/** The query parameters of a Register (`ep` required) or Update request, validated. */
export interface RegistrationParams {
  readonly endpoint?: string
  readonly lifetime?: number
  /** The `lwm2m=` value as given ("1.0", "1.1", "1.2"...). */
  readonly version?: string
  readonly binding?: string
  readonly smsNumber?: string
  /** The `Q` flag (LwM2M 1.1 queue mode). */
  readonly queueMode?: boolean
}

const MAX_LIFETIME = 0xffff_ffff
const BINDING = /^[UTSNQ]{1,5}$/
const VERSION = /^\d{1,3}\.\d{1,3}$/

/**
 * Parses Uri-Query strings (`ep=x`, `lt=300`, `Q`...). Unknown parameters are ignored, as clients
 * add vendor ones (`d=`, `et=`); malformed known ones throw RegistrationRequestError.
 */
export function parseRegistrationParams(query: readonly string[]): RegistrationParams {
  const out: { -readonly [K in keyof RegistrationParams]: RegistrationParams[K] } = {}
  const seen = new Set<string>()
  for (const q of query) {
    const eq = q.indexOf('=')
    const name = eq < 0 ? q : q.slice(0, eq)
    const value = eq < 0 ? undefined : q.slice(eq + 1)
    if (seen.has(name)) throw new RegistrationRequestError(`parameter "${name}" given twice`)
    seen.add(name)
    switch (name) {
      case 'ep': {
        const problem = endpointNameProblem(value)
        if (problem !== undefined) throw new RegistrationRequestError(`endpoint name ${problem}`)
        out.endpoint = value
        break
      }
      case 'lt': {
        if (!value || !/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIFETIME) {
          throw new RegistrationRequestError(`invalid lifetime "${value ?? ''}"`)
        }
        out.lifetime = Number(value)
        break
      }
      case 'lwm2m':
        if (!value || !VERSION.test(value)) throw new RegistrationRequestError(`invalid lwm2m version "${value ?? ''}"`)
        out.version = value
        break
      case 'b':
        if (!value || !BINDING.test(value)) throw new RegistrationRequestError(`invalid binding "${value ?? ''}"`)
        out.binding = value
        break
      case 'sms':
        if (value === undefined) throw new RegistrationRequestError('sms parameter without a value')
        out.smsNumber = value
        break
      case 'Q':
        if (value !== undefined) throw new RegistrationRequestError('the Q parameter takes no value')
        out.queueMode = true
        break
      default:
        break
    }
  }
  return out
}
