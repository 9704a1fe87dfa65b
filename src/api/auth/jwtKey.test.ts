import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { JWT_KEY_FILE, loadOrCreateJwtKey } from './jwtKey.js'

const dir = mkdtempSync(join(tmpdir(), 'lwchain-jwt-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('JWT key', () => {
  it('is created once per config dir with 32 random bytes, mode 0600, and read back the same', () => {
    const cfg = join(dir, 'a')
    const k1 = loadOrCreateJwtKey(cfg)
    expect(k1).toHaveLength(32)
    expect(statSync(join(cfg, JWT_KEY_FILE)).mode & 0o777).toBe(0o600)
    expect(loadOrCreateJwtKey(cfg)).toEqual(k1)
    expect(loadOrCreateJwtKey(join(dir, 'b'))).not.toEqual(k1)
  })

  it('tightens a key file others can read', () => {
    const cfg = join(dir, 'c')
    loadOrCreateJwtKey(cfg)
    chmodSync(join(cfg, JWT_KEY_FILE), 0o644)
    loadOrCreateJwtKey(cfg)
    expect(statSync(join(cfg, JWT_KEY_FILE)).mode & 0o777).toBe(0o600)
  })

  it('refuses a malformed key file with a typed error', () => {
    const cfg = join(dir, 'd')
    loadOrCreateJwtKey(cfg)
    writeFileSync(join(cfg, JWT_KEY_FILE), 'not-hex\n')
    expect(() => loadOrCreateJwtKey(cfg)).toThrow(expect.objectContaining({ code: 'LWC_JWT_KEY' }))
    expect(readFileSync(join(cfg, JWT_KEY_FILE), 'utf8')).toBe('not-hex\n')
  })
})
