import Fastify, { type FastifyInstance } from 'fastify'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerConsole } from './static.js'

describe('registerConsole', () => {
  let dir: string
  let app: FastifyInstance
  let unbuilt: FastifyInstance

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lwchain-web-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>')
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)')
    writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{}')
    writeFileSync(join(tmpdir(), 'lwchain-secret-outside.txt'), 'secret')
    app = Fastify()
    app.get('/api/health', async () => ({ status: 'ok' }))
    await registerConsole(app, { root: dir })
    unbuilt = Fastify()
    await registerConsole(unbuilt, { root: join(dir, 'missing') })
  })

  afterAll(async () => {
    await Promise.allSettled([app?.close(), unbuilt?.close()])
    rmSync(dir, { recursive: true, force: true })
    rmSync(join(tmpdir(), 'lwchain-secret-outside.txt'), { force: true })
  })

  it('serves index.html at / with a strict content security policy', async () => {
    const r = await app.inject('/')
    expect(r.statusCode).toBe(200)
    expect(r.headers['content-type']).toMatch(/^text\/html/)
    expect(r.headers['content-security-policy']).toContain("default-src 'self'")
    expect(r.headers['cache-control']).toBe('no-cache')
    expect(r.body).toContain('<title>console</title>')
  })

  it('serves hashed assets with their content type, cached for good', async () => {
    const js = await app.inject('/assets/index-abc.js')
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toMatch(/^text\/javascript/)
    expect(js.headers['cache-control']).toContain('immutable')
    const css = await app.inject('/assets/index-abc.css')
    expect(css.headers['content-type']).toMatch(/^text\/css/)
  })

  it('answers index.html for console routes so deep links and reloads work', async () => {
    for (const url of ['/admin/users', '/devices', '/anomalies?endpoint=x']) {
      const r = await app.inject(url)
      expect(r.statusCode, url).toBe(200)
      expect(r.body).toContain('<title>console</title>')
    }
  })

  it('answers 404 for a missing asset instead of the app', async () => {
    expect((await app.inject('/assets/gone-123.js')).statusCode).toBe(404)
  })

  it('leaves /api alone: API routes answer, unknown API paths get a JSON 404', async () => {
    expect((await app.inject('/api/health')).json()).toEqual({ status: 'ok' })
    const r = await app.inject('/api/nope')
    expect(r.statusCode).toBe(404)
    expect(r.json()).toMatchObject({ error: 'not_found' })
  })

  it('never serves files outside its root', async () => {
    for (const url of ['/../lwchain-secret-outside.txt', '/%2e%2e/lwchain-secret-outside.txt', '/assets/%2e%2e%2f%2e%2e%2flwchain-secret-outside.txt', '/%00']) {
      const r = await app.inject(url)
      expect(r.body, url).not.toContain('secret')
    }
  })

  it('answers 503 with a hint when the console was not built', async () => {
    const r = await unbuilt.inject('/')
    expect(r.statusCode).toBe(503)
    expect(r.body).toContain('npm run build:web')
  })
})
