/**
 * One client-initiated bootstrap (LwM2M TS Core §5.2.3): open a session with the bootstrap
 * server, `POST /bs?ep=…[&pct=…]`, serve its Delete/Write/Discover/Read until Bootstrap-Finish,
 * then close the session.
 */
import type { Logger } from '../logger.js'
import { decodeObjects } from '../lwm2m/codec/index.js'
import { ContentFormat } from '../lwm2m/content-format.js'
import { CodecError } from '../lwm2m/errors.js'
import type { ModelRegistry } from '../lwm2m/model.js'
import type { LwM2mPath } from '../lwm2m/path.js'
import { parseLwM2mRequest, type DeviceResponse } from '../lwm2m/request/device-side.js'
import type { CoapRequestHandler, CoapResponseInit } from '../transport/index.js'
import type { ServerAccount } from './default-objects.js'
import { DeviceError } from './errors.js'
import { finishCode, serveBootstrap, type ServeContext } from './serve.js'
import { openSession, type Session, type SessionTimers } from './session.js'

/** What a bootstrap run needs. */
export interface ClientBootstrapOptions {
  readonly account: ServerAccount
  readonly endpoint: string
  readonly preferredContentFormat?: number
  /** Ask for a Bootstrap-Pack (`GET /bspack`, LwM2M 1.2) first; fall back to `POST /bs` on an error. */
  readonly tryPack?: boolean
  readonly ctx: ServeContext
  readonly models: ModelRegistry
  readonly logger: Logger
  readonly timers: SessionTimers & { bootstrapTimeoutMs?: number }
  /** Encodes an answer (and reports it). */
  readonly answer: (kind: string, path: LwM2mPath | undefined, res: DeviceResponse) => CoapResponseInit
}

/** A bootstrap in progress. */
export interface BootstrapRun {
  /** Resolves once Bootstrap-Finish was accepted and the session closed; rejects with DeviceError. */
  readonly done: Promise<void>
  /** Ends the run early (device stopping); `done` rejects with `err`. */
  abort(err: Error): void
}

/** Starts a bootstrap run. */
export function runClientBootstrap(o: ClientBootstrapOptions): BootstrapRun {
  let finished!: () => void
  let failed!: (err: Error) => void
  const finish = new Promise<void>((resolve, reject) => {
    finished = resolve
    failed = reject
  })
  finish.catch(() => undefined)
  let aborted: Error | undefined

  const handler: CoapRequestHandler = (req) => {
    const r = parseLwM2mRequest(req, { models: o.models, bootstrap: true })
    if ('error' in r) return o.answer('invalid', undefined, { code: r.error, errorMessage: r.message })
    if (r.kind === 'bootstrapFinish') {
      const ok = finishCode(o.ctx) === '2.04'
      if (ok) finished()
      else o.logger.warn('Bootstrap-Finish without a complete server account')
      // 4.06: "the client has no valid configuration to register with" (TS Core §5.2.7.7).
      return o.answer(r.kind, undefined, ok ? { code: 'CHANGED' } : { code: 'NOT_ACCEPTABLE', errorMessage: 'no LwM2M server account' })
    }
    return o.answer(r.kind, 'path' in r ? r.path : undefined, serveBootstrap(o.ctx, r))
  }

  const run = async (): Promise<void> => {
    let session: Session
    try {
      session = await openSession(o.account, handler, { logger: o.logger, timers: o.timers })
    } catch (err) {
      throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', `cannot reach the bootstrap server ${o.account.uri}`, { cause: err, details: (err as Error).message })
    }
    if (aborted) {
      await session.close()
      throw aborted
    }
    session.onLost(() => failed(new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', 'the bootstrap server closed the session')))
    const query = [`ep=${o.endpoint}`, ...(o.preferredContentFormat !== undefined ? [`pct=${o.preferredContentFormat}`] : [])]
    const timeoutMs = o.timers.bootstrapTimeoutMs ?? 30_000
    let timeout: ReturnType<typeof setTimeout> | undefined
    try {
      if (o.tryPack && (await applyPack(session, o))) {
        await session.close()
        return
      }
      const res = await Promise.race([
        session.request({ method: 'POST', path: ['bs'], query }).catch((err: Error) => {
          throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', 'bootstrap request not answered', { cause: err, details: err.message })
        }),
        finish.then(() => ({ code: '2.04' })), // a fast server may finish before our ACK arrives
      ])
      if (res.code !== '2.04') throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', `bootstrap request refused with ${res.code}`, { coapCode: res.code })
      await Promise.race([
        finish,
        new Promise<never>((_, reject) => {
          timeout = setTimeout(() => reject(new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', `no Bootstrap-Finish within ${timeoutMs} ms`)), timeoutMs)
          timeout.unref?.()
        }),
      ])
    } catch (err) {
      await session.close()
      throw err
    } finally {
      clearTimeout(timeout)
    }
    // Let the 2.04 to Bootstrap-Finish leave before close_notify.
    await new Promise((r) => setTimeout(r, 20))
    await session.close()
  }

  const done = run()
  return {
    done,
    abort(err) {
      aborted = err
      failed(err)
    },
  }
}

/**
 * Asks for a Bootstrap-Pack; applies it when one comes (replacing every account but our
 * bootstrap one) and says whether it did. An error answer means: fall back to `POST /bs`.
 */
async function applyPack(session: Session, o: ClientBootstrapOptions): Promise<boolean> {
  const accept = o.preferredContentFormat === ContentFormat.SENML_JSON ? ContentFormat.SENML_JSON : ContentFormat.SENML_CBOR
  let res
  try {
    res = await session.request({ method: 'GET', path: ['bspack'], query: [`ep=${o.endpoint}`], accept })
  } catch (err) {
    throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', 'Bootstrap-Pack request not answered', { cause: err, details: (err as Error).message })
  }
  if (res.code !== '2.05') {
    o.logger.debug({ code: res.code }, 'no Bootstrap-Pack: falling back to POST /bs')
    return false
  }
  let objects
  try {
    objects = decodeObjects(res.contentFormat ?? accept, res.payload, o.models)
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', 'the Bootstrap-Pack does not decode', { cause: err, details: err.shortMessage })
  }
  serveBootstrap(o.ctx, { kind: 'bootstrapDelete', path: {} })
  for (const node of objects) {
    const written = serveBootstrap(o.ctx, { kind: 'bootstrapWrite', path: { objectId: node.id }, node })
    if (written.code !== 'CHANGED') throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', `the Bootstrap-Pack's /${node.id} was refused (${written.code})`)
  }
  if (finishCode(o.ctx) !== '2.04') throw new DeviceError('LWC_DEVICE_BOOTSTRAP_FAILED', 'the Bootstrap-Pack holds no LwM2M server account')
  return true
}
