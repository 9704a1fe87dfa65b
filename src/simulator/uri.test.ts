import { describe, expect, it } from 'vitest'
import { parseServerUri } from './uri.js'

describe('parseServerUri', () => {
  it('reads coaps and coap URIs with their default ports', () => {
    expect(parseServerUri('coaps://10.0.0.1:5784')).toEqual({ secure: true, peer: { address: '10.0.0.1', port: 5784 } })
    expect(parseServerUri('coaps://10.0.0.1')).toEqual({ secure: true, peer: { address: '10.0.0.1', port: 5684 } })
    expect(parseServerUri('coap://10.0.0.1/')).toEqual({ secure: false, peer: { address: '10.0.0.1', port: 5683 } })
  })

  it('maps localhost to the loopback address and unwraps IPv6 brackets', () => {
    expect(parseServerUri('coaps://localhost:1').peer.address).toBe('127.0.0.1')
    expect(parseServerUri('coaps://[::1]:5684').peer).toEqual({ address: '::1', port: 5684 })
  })

  it('refuses other schemes, paths and bad ports with a typed error', () => {
    for (const bad of ['http://x:1', 'coaps://x:1/rd', 'coaps://x:0', 'coaps://x:70000', '', 'coaps://']) {
      expect(() => parseServerUri(bad)).toThrow(expect.objectContaining({ code: 'LWC_DEVICE_URI' }))
    }
  })
})
