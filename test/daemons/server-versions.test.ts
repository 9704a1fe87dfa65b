/**
 * Object versions through a real registration: a model directory (as `--model-dir` reads it)
 * holds two versions of one object whose resource changed type, Integer in 1.0 and Float in 1.1.
 * A device that registers `</33000>;ver=1.0` has its reads decoded with the 1.0 types, one that
 * registers `ver=1.1` (or no version) with the 1.1 ones, from the same TLV bytes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModels } from '../../src/commands/lib/modelDirectory.js'
import { createDaemonTransport } from '../../src/daemons/transport.js'
import { createServerDaemon, type ServerDaemon } from '../../src/daemons/server.js'
import { silentLogger } from '../../src/logger.js'
import { ContentFormat } from '../../src/lwm2m/content-format.js'
import { parsePath } from '../../src/lwm2m/path.js'
import { createInMemorySecurityStore } from '../../src/lwm2m/security-store.js'
import type { PeerAddress } from '../../src/transport/types.js'
import { clientRecord, handDevice, type HandDevice } from './server-helpers.js'

/** A DDF document of object 33000 at `version` whose resource 1 has `type`. */
const meterDdf = (version: string, type: string) => `<?xml version="1.0" encoding="UTF-8"?>
<LWM2M><Object ObjectType="MODefinition">
  <Name>Meter</Name><ObjectID>33000</ObjectID><ObjectVersion>${version}</ObjectVersion>
  <MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>
  <Resources>
    <Item ID="1"><Name>Reading</Name><Operations>R</Operations><MultipleInstances>Single</MultipleInstances>
      <Mandatory>Mandatory</Mandatory><Type>${type}</Type></Item>
  </Resources>
</Object></LWM2M>`

/** /33000/0/1 as TLV: a resource of id 1 with the four bytes of float 21.0 (0x41a80000). */
const READING_TLV = new Uint8Array([0xc4, 0x01, 0x41, 0xa8, 0x00, 0x00])

describe('server daemon: object versions announced at registration select the models', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lwchain-models-'))
  const devices = ['meter-10', 'meter-11', 'meter-none'].map((ep) => clientRecord(ep))
  let daemon: ServerDaemon
  let address: PeerAddress
  const hands: HandDevice[] = []

  beforeAll(async () => {
    // Later files win as the default: 1.1 is the one a device without `ver=` gets.
    writeFileSync(join(dir, 'meter-a-1.0.xml'), meterDdf('1.0', 'Integer'))
    writeFileSync(join(dir, 'meter-b-1.1.xml'), meterDdf('1.1', 'Float'))
    const models = await loadModels({ modelDirs: [dir] })
    expect(models.getObjectVersion?.(33000, '1.0')?.resources.get(1)?.type).toBe('integer')
    const security = createInMemorySecurityStore(devices)
    daemon = createServerDaemon({
      security,
      transport: createDaemonTransport({ side: 'server', security, logger: silentLogger(), port: 0 }),
      logger: silentLogger(),
      models,
      config: { coapTimers: { ackTimeoutMs: 300, maxRetransmit: 2, responseTimeoutMs: 3000 } },
    })
    address = (await daemon.start()).address
  })
  afterAll(async () => {
    await Promise.allSettled(hands.map((h) => h.stop()))
    await daemon?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Registers a device announcing `links` that answers every GET of /33000/0/1 with READING_TLV. */
  async function meter(endpoint: string, links: string): Promise<void> {
    const rec = devices.find((d) => d.endpoint === endpoint)!
    const d = await handDevice(address, rec.server.identity, rec.server.key)
    hands.push(d)
    d.coap.onRequest((req) =>
      req.method === 'GET' && req.path.join('/') === '33000/0/1' ? { code: '2.05', contentFormat: ContentFormat.TLV, payload: READING_TLV } : { code: '4.04' },
    )
    expect((await d.register([`ep=${endpoint}`, 'lt=300', 'lwm2m=1.1', 'b=U'], links)).code).toBe('2.01')
  }
  const reading = async (endpoint: string) => {
    const res = await daemon.send(endpoint, { kind: 'read', path: parsePath('/33000/0/1'), format: ContentFormat.TLV })
    expect(res.coapCode).toBe('2.05')
    return res.node
  }

  it('decodes with the 1.0 model (Integer) for a device that registered ver=1.0', async () => {
    await meter('meter-10', '</1/0>,</33000>;ver=1.0,</33000/0>')
    expect(daemon.registrations.byEndpoint('meter-10')?.objectLinks).toEqual(expect.arrayContaining([expect.objectContaining({ objectId: 33000, version: '1.0' })]))
    expect(await reading('meter-10')).toEqual({ kind: 'resource', id: 1, type: 'integer', value: 0x41a80000 })
  })

  it('decodes the same bytes with the 1.1 model (Float) for ver=1.1, and for a device that named no version', async () => {
    await meter('meter-11', '</1/0>,</33000>;ver=1.1,</33000/0>')
    await meter('meter-none', '</1/0>,</33000/0>')
    expect(await reading('meter-11')).toEqual({ kind: 'resource', id: 1, type: 'float', value: 21 })
    expect(await reading('meter-none')).toEqual({ kind: 'resource', id: 1, type: 'float', value: 21 })
    // The 1.0 device keeps its own model after the others registered.
    expect(await reading('meter-10')).toMatchObject({ type: 'integer', value: 0x41a80000 })
  })
})
