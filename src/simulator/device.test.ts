import { describe, expect, it } from 'vitest'
import { createDevice, type DeviceOptions } from './device.js'

const key = new Uint8Array([1])
const server = { uri: 'coaps://127.0.0.1:5684', identity: 'id', key }

describe('createDevice', () => {
  it('refuses invalid options with a typed error', () => {
    const bad: Array<Partial<DeviceOptions>> = [
      { endpoint: '', server },
      // A space is a valid name (issue 16); control characters and names over 252 bytes are not.
      { endpoint: 'a\tb', server },
      { endpoint: 'x'.repeat(253), server },
      { endpoint: 'ok' },
      { endpoint: 'ok', server: { ...server, uri: 'http://x' } },
      { endpoint: 'ok', server: { ...server, key: new Uint8Array() } },
      { endpoint: 'ok', server, lifetime: 0 },
      { endpoint: 'ok', server, lwm2mVersion: '1.2' as '1.1' },
    ]
    for (const o of bad) expect(() => createDevice(o as DeviceOptions)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^LWC_DEVICE_/) }))
  })

  it('starts idle and keeps a temperature that can be set', () => {
    const d = createDevice({ endpoint: 'ok', server, temperature: 19 })
    expect(d.state).toBe('idle')
    expect(d.registrationLocation).toBeUndefined()
    expect(d.temperature()).toBe(19)
    expect(d.temperature(21.25)).toBe(21.25)
    expect(() => d.temperature(Number.NaN)).toThrow(expect.objectContaining({ code: 'LWC_DEVICE_OPTIONS' }))
  })

  it('cannot start again after stop()', async () => {
    const d = createDevice({ endpoint: 'ok', server })
    await d.stop()
    expect(d.state).toBe('stopped')
    await expect(d.start()).rejects.toMatchObject({ code: 'LWC_DEVICE_STOPPED' })
  })
})
