import { describe, expect, it } from 'vitest'
import { generatePassword, hashPassword, verifyPassword } from './password.js'

describe('password verifiers', () => {
  it('verify the right password only, with a fresh salt each time', async () => {
    const a = await hashPassword('s3cret')
    const b = await hashPassword('s3cret')
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/)
    expect(a).not.toBe(b)
    expect(await verifyPassword('s3cret', a)).toBe(true)
    expect(await verifyPassword('s3cret ', a)).toBe(false)
  })
  it('treat malformed verifiers as a mismatch', async () => {
    for (const bad of ['', 'scrypt$1$2', 'bcrypt$x$y$z$a$b', 'scrypt$0$8$1$AA==$AA==', 'scrypt$99999999$8$1$AA==$AA==']) {
      expect(await verifyPassword('x', bad), bad).toBe(false)
    }
  })
  it('generates 20-character passwords', () => {
    expect(generatePassword()).toMatch(/^[A-Za-z2-9]{20}$/)
  })
})
