import { describe, expect, it } from 'vitest'
import { DEFAULT_BOOTSTRAP_CONFIG, resolveBootstrapConfig } from './config.js'
import { bootstrapWriteFormat } from './format.js'
import { firstFreeId, securityInstancesOf } from './session.js'

describe('bootstrap configuration', () => {
  it('fills defaults and freezes', () => {
    const c = resolveBootstrapConfig({ serverLifetime: undefined, shortServerId: 7 })
    expect(c).toMatchObject({ ...DEFAULT_BOOTSTRAP_CONFIG, shortServerId: 7 })
    expect(Object.isFrozen(c)).toBe(true)
  })

  it.each([
    [{ serverLifetime: 0 }, /lifetime/],
    [{ serverLifetime: 1.5 }, /lifetime/],
    [{ shortServerId: 0 }, /short server id/],
    [{ shortServerId: 65535 }, /short server id/],
    [{ securityInstanceId: -1 }, /security instance/],
    [{ serverInstanceId: 70000 }, /server instance/],
    [{ binding: 'X' }, /binding/],
    [{ sessionTimeoutMs: 0 }, /session timeout/],
    [{ requestTimeoutMs: -5 }, /request timeout/],
  ])('rejects %o with a typed error', (partial, message) => {
    expect(() => resolveBootstrapConfig(partial)).toThrow(message)
    expect(() => resolveBootstrapConfig(partial)).toThrow(expect.objectContaining({ code: 'LWC_BOOTSTRAP_CONFIG' }))
  })
})

describe('bootstrap write format', () => {
  it('is TLV without pct and the asked format when instances can be written in it', () => {
    expect(bootstrapWriteFormat(undefined)).toBe(11542)
    for (const f of [11542, 110, 112, 11543]) expect(bootstrapWriteFormat(f)).toBe(f)
  })
  it('is undefined for formats that cannot carry an instance', () => {
    for (const f of [0, 40, 42, 60, 9999]) expect(bootstrapWriteFormat(f)).toBeUndefined()
  })
})

describe('security instance id', () => {
  const discover = (targets: string[]) =>
    ({ code: 'CONTENT', coapCode: '2.05', success: true, links: targets.map((target) => ({ target, attributes: {} })) }) as const

  it('lists the /0 instances a Bootstrap-Discover reports', () => {
    expect(securityInstancesOf({ ...discover(['/', '/0/3', '/0/0', '/1/0', '/0']) })).toEqual([0, 3])
  })
  it('takes the lowest free id from 1', () => {
    expect(firstFreeId([])).toBe(1)
    expect(firstFreeId([0])).toBe(1)
    expect(firstFreeId([1])).toBe(2)
    expect(firstFreeId([0, 1, 2])).toBe(3)
  })
})
