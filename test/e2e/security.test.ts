/** End to end: the double check at both daemons, and revocation through the chain. */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runClientAdd } from '../../src/commands/client/add.js'
import { hexToBytes, type Hex } from 'viem'
import { runClientRemove } from '../../src/commands/client/remove.js'
import type { Registration } from '../../src/lwm2m/server/index.js'
import { startBootstrapClient } from '../daemons/bootstrap-helpers.js'
import { handDevice } from '../daemons/server-helpers.js'
import { eventually, givenSystem, nextEvent, type System } from './system.js'

const bytes = (hex: string) => hexToBytes(`0x${hex}` as Hex)
const ascii = (hex: string) => Buffer.from(hex, 'hex').toString('latin1')
const run = promisify(execFile)
const LIBCOAP = '/usr/bin/coap-client-openssl'

describe('e2e: identity and revocation', () => {
  let sys: System
  beforeAll(async () => {
    sys = await givenSystem()
  })
  afterAll(() => sys.stop())

  it('refuses an identity that does not belong to the endpoint, at both daemons', async () => {
    const a = await sys.addDevice('e2e-id-a')
    await sys.addDevice('e2e-id-b')

    const bs = await startBootstrapClient({ server: sys.bootstrap.address, identity: a.bootstrap.identity, key: bytes(a.bootstrap.key) })
    try {
      expect((await bs.requestBootstrap('e2e-id-b')).code).toBe('4.03')
    } finally {
      await bs.stop()
    }

    const dev = await handDevice(sys.server.address, a.server.identity, bytes(a.server.key))
    try {
      expect((await dev.register(['ep=e2e-id-b', 'lt=300', 'lwm2m=1.1'])).code).toBe('4.03')
      expect(sys.server.daemon.registrations.byEndpoint('e2e-id-b')).toBeUndefined()
    } finally {
      await dev.stop()
    }
  })

  it('revokes a removed device: registration gone, session closed, handshakes fail', async () => {
    const added = await sys.addDevice('e2e-revoked')
    const device = sys.device(added)
    await device.start()
    const daemon = sys.server.daemon
    expect(daemon.registrations.byEndpoint('e2e-revoked')).toBeDefined()

    const revoked = nextEvent<[Registration, string]>(daemon.events, 'deregistered')
    await runClientRemove(sys.cmd, 'e2e-revoked')
    const [reg, reason] = await revoked
    expect(reg.endpoint).toBe('e2e-revoked')
    expect(reason).toBe('revoked')
    expect(daemon.registrations.byEndpoint('e2e-revoked')).toBeUndefined()
    await eventually(() => daemon.stats().sessions === 0)
    await expect(handDevice(sys.server.address, added.server.identity, bytes(added.server.key))).rejects.toThrow(/handshake/i)
    // The bootstrap daemon's view polls on its own: once it has the removal, its handshakes fail too.
    await eventually(() => sys.bootstrap.view!.clientByEndpoint('e2e-revoked') === undefined)
    await expect(
      startBootstrapClient({ server: sys.bootstrap.address, identity: added.bootstrap.identity, key: bytes(added.bootstrap.key) }),
    ).rejects.toThrow(/handshake/i)
  })

  it.skipIf(!existsSync(LIBCOAP))('authenticates libcoap clients from chain-provisioned printable keys', async () => {
    const { result: added } = await runClientAdd(sys.cmd, {
      endpoint: 'e2e-libcoap',
      bootstrapUri: sys.bootstrap.url,
      serverUri: sys.server.url,
      printableKeys: true,
    })
    await eventually(() => sys.server.view!.clientByEndpoint('e2e-libcoap') !== undefined && sys.bootstrap.view!.clientByEndpoint('e2e-libcoap') !== undefined)
    const coap = async (identity: string, key: string, args: string[]) => {
      const { stdout, stderr } = await run(LIBCOAP, ['-v', '7', '-B', '3', '-u', identity, '-k', ascii(key), ...args], { timeout: 25_000 })
      return (stdout + stderr).split('\n').find((l) => /t:ACK c:\d\.\d\d/.test(l)) ?? ''
    }
    expect(await coap(added.bootstrap.identity, added.bootstrap.key, ['-m', 'post', `${sys.bootstrap.url}/bs?ep=e2e-libcoap`])).toContain('c:2.04')
    const reg = await coap(added.server.identity, added.server.key, ['-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>', `${sys.server.url}/rd?ep=e2e-libcoap&lt=300&lwm2m=1.1&b=U`])
    expect(reg).toContain('c:2.01')
    expect(reg).toContain(`Location-Path:${sys.server.daemon.registrations.byEndpoint('e2e-libcoap')!.id}`)
  })
})
