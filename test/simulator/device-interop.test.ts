/**
 * The simulated device against a third-party peer: libcoap's resource directory (coap-rd-openssl)
 * accepts `POST /rd` over DTLS-PSK, so the device's handshake and registration meet an
 * implementation that is not ours.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDevice, type Device } from '../../src/simulator/device.js'
import { models } from './fakes.js'
import { freeUdpPortPair, untilUdpBound } from '../helpers/ports.js'

const KEY = 'Rd-Interop-PSK-42'

describe.skipIf(!existsSync('/usr/bin/coap-rd-openssl'))('the device with libcoap coap-rd-openssl', () => {
  let rd: ChildProcess
  let port: number
  let device: Device

  beforeAll(async () => {
    port = await freeUdpPortPair()
    // With an identity hint, so the device's handshake also takes a ServerKeyExchange.
    rd = spawn('coap-rd-openssl', ['-A', '127.0.0.1', '-p', String(port), '-k', KEY, '-h', 'rd-hint', '-v', '0'], { stdio: 'ignore' })
    await untilUdpBound(port + 1)
  })
  afterAll(async () => {
    rd.kill()
    await device?.stop()
  })

  it('registers over DTLS-PSK and keeps the Location-Path the directory gave', async () => {
    device = createDevice({
      endpoint: 'rd-interop',
      server: { uri: `coaps://127.0.0.1:${port + 1}`, identity: 'rd-interop', key: new TextEncoder().encode(KEY) },
      models,
      timers: { ackTimeoutMs: 500, maxRetransmit: 3, handshakeTimeoutMs: 3_000, retryAttempts: 1, stopTimeoutMs: 500 },
    })
    await device.start()
    expect(device.state).toBe('registered')
    expect(device.registrationLocation).toMatch(/^\/rd\/\S+$/)
    // coap-rd answers an LwM2M Update (POST on the registration) 4.05: it is a plain RD.
    await expect(device.update()).rejects.toMatchObject({ code: 'LWC_DEVICE_UPDATE_FAILED', coapCode: '4.05' })
    // A De-register crashed libcoap 4.3.1's coap-rd (double free) in our runs: stop it first; our
    // stop() then gives up on the De-register answer within stopTimeoutMs.
    rd.kill()
    await device.stop()
    expect(device.state).toBe('stopped')
  })
})
