import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { givenApiSystem, type ApiSystem } from './devices-helpers.js'

/** fastify's `/a/:b/*` as OpenAPI writes it: `/a/{b}/{*}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}')

describe('GET /api/openapi.json', () => {
  let sys: ApiSystem
  beforeAll(async () => {
    sys = await givenApiSystem({ console: true })
  })
  afterAll(async () => {
    await sys?.stop()
  })

  it('documents every route the API registered, with its method, without a token', async () => {
    const res = await sys.call('GET', '/api/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { securitySchemes: object } }
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth')
    const routes = sys.server.rest!.routes.filter((r) => r.method !== 'HEAD' && r.url.startsWith('/api'))
    expect(routes.length).toBeGreaterThan(30)
    const missing = routes.filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`)
    expect(missing).toEqual([])
    for (const path of ['/api/health', '/api/login', '/api/clients', '/api/clients/{endpoint}/values', '/api/models', '/api/events', '/api/metrics', '/api/anomalies', '/api/openapi.json']) {
      expect(doc.paths, path).toHaveProperty([path])
    }
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/'))).toEqual([])
    expect(doc.paths['/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}']).toHaveProperty('post')
    expect(doc.paths['/api/clients/{endpoint}/{objectId}/discover']).toHaveProperty('get')
    expect(doc.paths['/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}/observe']).toHaveProperty('delete')
  })

  it('documents the paging parameters and the {items, next} answer of the lists', async () => {
    type Op = { parameters?: Array<{ name: string; in: string }>; responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }> }
    const doc = (await (await sys.call('GET', '/api/openapi.json')).json()) as { paths: Record<string, Record<string, Op>> }
    for (const path of ['/api/clients', '/api/admin/users']) {
      const op = doc.paths[path]!.get!
      expect(op.parameters?.filter((p) => p.in === 'query').map((p) => p.name), path).toEqual(expect.arrayContaining(['limit', 'cursor', 'q']))
      expect(Object.keys(op.responses['200']!.content!['application/json']!.schema.properties!), path).toEqual(expect.arrayContaining(['items', 'next', 'total']))
    }
    const events = doc.paths['/api/events']!.get!
    expect(events.parameters?.map((p) => p.name)).toContain('lastEventId')
  })

  it('declares the queue-mode answers (202 {requestId}, 503) of the device operations, plain and composite', async () => {
    type Op = { responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }> }
    const doc = (await (await sys.call('GET', '/api/openapi.json')).json()) as { paths: Record<string, Record<string, Op>> }
    const ops: Array<[string, string]> = [
      ['/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}', 'get'],
      ['/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}', 'put'],
      ['/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}', 'post'],
      ['/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}/observe', 'post'],
      ['/api/clients/{endpoint}/{objectId}', 'get'],
      ['/api/clients/{endpoint}/composite', 'post'],
      ['/api/clients/{endpoint}/composite/observe', 'post'],
    ]
    for (const [path, method] of ops) {
      const responses = doc.paths[path]![method]!.responses
      expect(Object.keys(responses), `${method} ${path}`).toEqual(expect.arrayContaining(['202', '503']))
      expect(responses['202']!.content!['application/json']!.schema.properties, `${method} ${path}`).toHaveProperty('requestId')
    }
    // Cancelling an observation does not wait in the queue.
    expect(Object.keys(doc.paths['/api/clients/{endpoint}/{objectId}/{instanceId}/{resourceId}/observe']!.delete!.responses)).not.toContain('202')
  })

  it('marks token-protected routes with the bearer scheme and leaves health open', async () => {
    const doc = (await (await sys.call('GET', '/api/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> }
    expect(doc.paths['/api/clients']!.get!.security).toEqual([{ bearerAuth: [] }])
    expect(doc.paths['/api/health']!.get!.security).toBeUndefined()
  })
})
