import type { Logger } from '../../logger.js'
import { peerKey, type PeerAddress } from '../../transport/types.js'
import { decodeTimedValues, type TimedValue } from '../codec/timed-values.js'
import { ContentFormat } from '../content-format.js'
import { CodecError } from '../errors.js'
import type { ModelRegistry } from '../model.js'
import type { Registration } from './registration.js'
import type { RegistrationStore } from './registration-store.js'

/** Values a registered client pushed with Send (LwM2M 1.1 TS Core §6.4.2, `POST /dp`). */
export interface SendEvent {
  readonly endpoint: string
  readonly registrationId: string
  /** Flattened as reads are; `time` (epoch seconds) when the record carried one. */
  readonly values: readonly TimedValue[]
}

/** The parts of a CoAP request the handler reads (a CoapRequest satisfies it). */
export interface SendRequest {
  readonly method: string
  readonly path: readonly string[]
  readonly contentFormat?: number
  readonly payload: Uint8Array
}

export interface SendHandlerOptions {
  readonly store: RegistrationStore
  readonly models: ModelRegistry
  /** The models of the object versions a registration announced (default `models`). */
  readonly modelsOf?: (reg: Registration) => ModelRegistry
  readonly logger: Logger
  /** Check that the DTLS identity is the one the registration was made with; false only over plain UDP. */
  readonly requireIdentity?: boolean
  readonly onSend: (event: SendEvent, reg: Registration) => void
  readonly now?: () => number
}

/** The Information Reporting interface's Send operation on the server side. */
export interface SendHandler {
  /** Answers `POST /dp`; undefined for any other path. */
  handle(req: SendRequest, ctx: { peer: PeerAddress; identity?: string }): { code: string; payload?: string } | undefined
}

/**
 * Creates the Send handler. A Send names no endpoint: it is the registration whose session it
 * came over (same address, same PSK identity). A Send from a peer with no registration, or over
 * a session of another identity, gets 4.03; a payload that is not a SenML pack of values 4.00
 * (4.15 for another content format). Nothing is stored here: `onSend` gets the values.
 */
export function createSendHandler(o: SendHandlerOptions): SendHandler {
  const requireIdentity = o.requireIdentity ?? true
  const now = o.now ?? Date.now
  return {
    handle(req, ctx) {
      if (req.path[0] !== 'dp') return undefined
      if (req.path.length !== 1) return { code: '4.04' }
      if (req.method !== 'POST') return { code: '4.05' }
      const reg = o.store.byPeer(ctx.peer)
      if (!reg) {
        o.logger.warn({ peer: peerKey(ctx.peer), identity: ctx.identity }, 'send refused (4.03): no registration over this session')
        return { code: '4.03' }
      }
      const log = o.logger.child({ endpoint: reg.endpoint })
      if (requireIdentity && ctx.identity !== reg.identity) {
        log.warn({ peer: peerKey(ctx.peer), identity: ctx.identity }, "send refused (4.03): the session's identity is not the registration's")
        return { code: '4.03' }
      }
      const format = req.contentFormat
      if (format !== ContentFormat.SENML_JSON && format !== ContentFormat.SENML_CBOR) {
        log.info({ contentFormat: format }, 'send refused (4.15): not SenML JSON or CBOR')
        return { code: '4.15' }
      }
      let values: TimedValue[]
      try {
        values = decodeTimedValues(format, req.payload, o.modelsOf?.(reg) ?? o.models, now())
      } catch (err) {
        if (!(err instanceof CodecError)) throw err
        log.info({ err: err.shortMessage }, 'send refused (4.00): malformed payload')
        return { code: '4.00', payload: err.shortMessage }
      }
      if (values.length === 0) {
        log.info('send refused (4.00): no values')
        return { code: '4.00', payload: 'no values' }
      }
      log.debug({ values: values.length }, 'send received')
      o.onSend({ endpoint: reg.endpoint, registrationId: reg.id, values }, reg)
      return { code: '2.04' }
    },
  }
}
