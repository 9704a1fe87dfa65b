import { describe, expect, it } from 'vitest'
import { endpointNameProblem, isValidEndpointName, MAX_ENDPOINT_NAME_BYTES } from './endpoint-name.js'

describe('endpoint name rule', () => {
  it('accepts what a Uri-Query carries: spaces, &, =, /, ?, non-ASCII UTF-8', () => {
    for (const n of ['has space', 'a&b=c/d?e', 'Gerät-ü-東京', 'urn:imei:490154203237518', '🌡 sensor']) expect(isValidEndpointName(n)).toBe(true)
  })
  it('accepts exactly 252 bytes and refuses 253 (ep= plus the name must fit in 255)', () => {
    expect(MAX_ENDPOINT_NAME_BYTES).toBe(252)
    expect(isValidEndpointName('x'.repeat(252))).toBe(true)
    expect(isValidEndpointName('é'.repeat(126))).toBe(true)
    expect(endpointNameProblem('x'.repeat(253))).toMatch(/253 bytes/)
    expect(endpointNameProblem('é'.repeat(127))).toMatch(/254 bytes/)
  })
  it('refuses empty names, control characters and broken UTF-8', () => {
    expect(endpointNameProblem('')).toBe('is empty')
    expect(endpointNameProblem(undefined)).toBe('is empty')
    expect(endpointNameProblem('a\nb')).toMatch(/control/)
    expect(endpointNameProblem('a\u0085b')).toMatch(/control/)
    expect(endpointNameProblem('a\uFFFDb')).toMatch(/UTF-8/)
    expect(endpointNameProblem('a\uD800b')).toMatch(/UTF-8/)
  })
})
