import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logger.js'
import { formatLinks } from '../lwm2m/link.js'
import { loadDefaultModels } from '../lwm2m/models/registry.js'
import { createAttributeStore } from './attributes-store.js'
import { writeDeviceObject, writeSecurityInstance, writeServerInstance, writeTemperatureObject } from './default-objects.js'
import { createObjectTree } from './object-tree.js'
import { createObservations } from './observations.js'
import { finishCode, serveBootstrap, serveDm, type ServeContext } from './serve.js'

const models = loadDefaultModels()
const key = new Uint8Array([1, 2, 3])

function context(version: '1.0' | '1.1' = '1.1'): ServeContext {
  const tree = createObjectTree(models)
  writeSecurityInstance(tree, 0, { uri: 'coaps://bs:5684', identity: 'bs-id', key }, true)
  writeDeviceObject(tree, 'ep', '1')
  writeTemperatureObject(tree, 0, 20)
  const attributes = createAttributeStore()
  const observations = createObservations({ attributes, logger: silentLogger(), content: { response: () => ({ code: '2.05' }), compositeResponse: () => ({ code: '2.05' }), numeric: () => undefined } })
  return { tree, version, attributes, observations, execute: () => '2.04' }
}

describe('bootstrap interface', () => {
  it('Bootstrap-Delete / keeps the bootstrap account and the Device object', () => {
    const ctx = context()
    writeSecurityInstance(ctx.tree, 1, { uri: 'coaps://srv', identity: 'x', key }, false, 101)
    writeServerInstance(ctx.tree, 0, 101, 60)
    expect(serveBootstrap(ctx, { kind: 'bootstrapDelete', path: {} }).code).toBe('DELETED')
    expect(ctx.tree.instanceIds(0)).toEqual([0])
    expect(ctx.tree.instanceIds(1)).toEqual([])
    expect(ctx.tree.instanceIds(3)).toEqual([0])
    expect(serveBootstrap(ctx, { kind: 'bootstrapDelete', path: { objectId: 0 } }).code).toBe('DELETED')
    expect(serveBootstrap(ctx, { kind: 'bootstrapDelete', path: { objectId: 0, instanceId: 0 } }).code).toBe('BAD_REQUEST')
    expect(ctx.tree.instanceIds(0)).toEqual([0])
    expect(serveBootstrap(ctx, { kind: 'bootstrapDelete', path: { objectId: 3 } }).code).toBe('BAD_REQUEST')
  })

  it('finishes only with a Security + Server pair for the same short server id', () => {
    const ctx = context()
    expect(finishCode(ctx)).toBe('4.06')
    writeSecurityInstance(ctx.tree, 1, { uri: 'coaps://srv', identity: 'x', key }, false, 101)
    expect(finishCode(ctx)).toBe('4.06')
    writeServerInstance(ctx.tree, 0, 102, 60)
    expect(finishCode(ctx)).toBe('4.06')
    writeServerInstance(ctx.tree, 1, 101, 60)
    expect(finishCode(ctx)).toBe('2.04')
  })

  it('discovers objects with versions for 1.1 and without for 1.0', () => {
    expect(formatLinks(serveBootstrap(context('1.1'), { kind: 'bootstrapDiscover', path: {} }).links!)).toBe('</>;lwm2m=1.1,</0/0>,</1>;ver=1.1,</3/0>,</3303/0>')
    expect(formatLinks(serveBootstrap(context('1.0'), { kind: 'bootstrapDiscover', path: {} }).links!)).toBe('</>;lwm2m=1.0,</0/0>,</1>,</3/0>,</3303/0>')
  })

  it('reads only the Server object', () => {
    const ctx = context()
    writeServerInstance(ctx.tree, 0, 101, 60)
    expect(serveBootstrap(ctx, { kind: 'bootstrapRead', path: { objectId: 1 } }).code).toBe('CONTENT')
    expect(serveBootstrap(ctx, { kind: 'bootstrapRead', path: { objectId: 3 } }).code).toBe('BAD_REQUEST')
  })
})

describe('device management interface', () => {
  it('never exposes the Security object', () => {
    const ctx = context()
    expect(serveDm(ctx, { kind: 'read', path: { objectId: 0, instanceId: 0 } }).code).toBe('UNAUTHORIZED')
    expect(serveDm(ctx, { kind: 'discover', path: { objectId: 0 } }).code).toBe('UNAUTHORIZED')
  })

  it('answers NOT_ACCEPTABLE for a format its version does not speak', () => {
    expect(serveDm(context('1.0'), { kind: 'read', path: { objectId: 3, instanceId: 0 }, format: 110 }).code).toBe('NOT_ACCEPTABLE')
    expect(serveDm(context('1.1'), { kind: 'read', path: { objectId: 3, instanceId: 0 }, format: 110 }).code).toBe('CONTENT')
  })

  it('refuses a write in a format its version does not speak', () => {
    const node = { kind: 'resource', id: 14, type: 'string', value: 'x' } as const
    expect(serveDm(context('1.0'), { kind: 'write', mode: 'replace', path: { objectId: 3, instanceId: 0, resourceId: 14 }, node, format: 110 }).code).toBe('UNSUPPORTED_CONTENT_FORMAT')
    expect(serveDm(context('1.1'), { kind: 'write', mode: 'replace', path: { objectId: 3, instanceId: 0, resourceId: 14 }, node, format: 110 }).code).toBe('CHANGED')
  })

  it('reads opaque resources as opaque, or as base64 text from 1.1 on', () => {
    const ctx = context('1.0')
    ctx.tree.setResource(3303, 0, { kind: 'resource', id: 5750, type: 'opaque', value: new Uint8Array([1, 2]) })
    const path = { objectId: 3303, instanceId: 0, resourceId: 5750 }
    expect(serveDm(ctx, { kind: 'read', path, format: 42 }).code).toBe('CONTENT')
    expect(serveDm(ctx, { kind: 'read', path, format: 0 }).code).toBe('NOT_ACCEPTABLE')
    expect(serveDm(ctx, { kind: 'read', path: { objectId: 3, instanceId: 0, resourceId: 0 }, format: 42 }).code).toBe('NOT_ACCEPTABLE')
    const v11 = context('1.1')
    v11.tree.setResource(3303, 0, { kind: 'resource', id: 5750, type: 'opaque', value: new Uint8Array([1, 2]) })
    expect(serveDm(v11, { kind: 'read', path, format: 0 }).code).toBe('CONTENT')
  })

  it('discovers a resource with its dimension', () => {
    const res = serveDm(context(), { kind: 'discover', path: { objectId: 3, instanceId: 0, resourceId: 11 } })
    expect(formatLinks(res.links!)).toBe('</3/0/11>;dim=1')
  })

  it('refuses to delete the Device instance and Write-Attributes on what does not exist', () => {
    const ctx = context()
    expect(serveDm(ctx, { kind: 'delete', path: { objectId: 3, instanceId: 0 } }).code).toBe('METHOD_NOT_ALLOWED')
    expect(serveDm(ctx, { kind: 'writeAttributes', path: { objectId: 3303, instanceId: 7 }, attributes: { pmin: 1 } }).code).toBe('NOT_FOUND')
  })
})
