import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadSignerKey } from './signerKey.js'

const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'

describe('loadSignerKey', () => {
  it('prefers the key file, then LWCHAIN_PRIVATE_KEY, then the profile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwchain-key-'))
    const file = join(dir, 'k')
    writeFileSync(file, KEY.slice(2) + '\n')
    expect(loadSignerKey({ privateKeyFile: file, envKey: '0x' + '1'.repeat(64) })).toBe(KEY)
    expect(loadSignerKey({ envKey: KEY })).toBe(KEY)
    expect(loadSignerKey({ profileKeyFile: file })).toBe(KEY)
    expect(loadSignerKey({})).toBeUndefined()
    rmSync(dir, { recursive: true, force: true })
  })
  it('refuses malformed keys without echoing them', () => {
    const secretish = 'deadbeef'.repeat(7)
    const err = (() => {
      try {
        loadSignerKey({ envKey: secretish })
      } catch (e) {
        return e as Error
      }
    })()
    expect(err).toMatchObject({ code: 'LWC_INVALID_SIGNER_KEY' })
    expect(err!.message).not.toContain(secretish)
    expect(() => loadSignerKey({ privateKeyFile: '/nonexistent/key' })).toThrow(/cannot read it/)
  })
})
