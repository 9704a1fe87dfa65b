import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { generateSealingKeyPair, InvalidSealingKeyError, open, seal, UnsealError } from './sealing.js'
import { createSealingPool, defaultPoolSize, SealingPoolClosedError, type SealingPool } from './sealingPool.js'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

let pool: SealingPool | undefined
afterEach(async () => {
  await pool?.close()
  pool = undefined
})

describe('sealing pool', () => {
  it('seals and opens off the loop, interchangeably with the synchronous functions', async () => {
    pool = createSealingPool({ workers: 1 })
    const kp = generateSealingKeyPair()
    const sealed = await pool.seal(kp.publicKey, enc('psk-1'), 'ctx:1')
    expect(dec(open(kp.privateKey, sealed, 'ctx:1'))).toBe('psk-1')
    expect(dec(await pool.open(kp.privateKey, seal(kp.publicKey, enc('psk-2'), 'ctx:2'), 'ctx:2'))).toBe('psk-2')
    // The caller's private key is its own: the worker zeroes only its copy.
    expect(kp.privateKey.some((b) => b !== 0)).toBe(true)
  })

  it('keeps the order of batches cut into many messages, over two workers', async () => {
    pool = createSealingPool({ workers: 2, batchSize: 7 })
    const kp = generateSealingKeyPair()
    const items = Array.from({ length: 50 }, (_, i) => ({ publicKey: kp.publicKey, plaintext: enc(`v${i}`), context: `c:${i}` }))
    const sealed = await pool.sealMany(items)
    expect(sealed).toHaveLength(50)
    const opened = await pool.openMany(kp.privateKey, sealed.map((s, i) => ({ sealed: s, context: `c:${i}` })))
    expect(opened.map((o) => ('value' in o ? dec(o.value) : o.error.code))).toEqual(items.map((_, i) => `v${i}`))
    expect(await pool.sealMany([])).toEqual([])
  })

  it('keeps the typed errors and their codes across the thread boundary', async () => {
    pool = createSealingPool({ workers: 1 })
    const kp = generateSealingKeyPair()
    const sealed = await pool.seal(kp.publicKey, enc('x'), 'right')
    const wrongContext = await pool.open(kp.privateKey, sealed, 'wrong').catch((e: unknown) => e)
    expect(wrongContext).toBeInstanceOf(UnsealError)
    expect(wrongContext).toMatchObject({ code: 'LWC_UNSEAL', shortMessage: 'cannot open sealed value: wrong key, wrong context or tampered data' })
    const badKey = await pool.seal(new Uint8Array(31), enc('x'), 'c').catch((e: unknown) => e)
    expect(badKey).toBeInstanceOf(InvalidSealingKeyError)
    expect(badKey).toMatchObject({ code: 'LWC_SEALING_KEY_INVALID', message: 'invalid sealing key: public key must be 32 bytes, got 31' })
    // A batch with one bad value: the others still open, the bad one says why.
    const mixed = await pool.openMany(kp.privateKey, [{ sealed, context: 'right' }, { sealed: sealed.subarray(0, 10), context: 'right' }])
    expect('value' in mixed[0] && dec(mixed[0].value)).toBe('x')
    expect('error' in mixed[1] && mixed[1].error).toBeInstanceOf(UnsealError)
    expect('error' in mixed[1] && mixed[1].error.shortMessage).toBe('cannot open sealed value: too short')
  })

  it('tries every key of a ring and says which one opened each value', async () => {
    pool = createSealingPool({ workers: 1 })
    const [a, b] = [generateSealingKeyPair(), generateSealingKeyPair()]
    const items = [
      { sealed: seal(a.publicKey, enc('to a'), 'c'), context: 'c' },
      { sealed: seal(b.publicKey, enc('to b'), 'c'), context: 'c' },
      { sealed: seal(generateSealingKeyPair().publicKey, enc('to neither'), 'c'), context: 'c' },
    ]
    const out = await pool.openMany([a.privateKey, b.privateKey], items)
    expect(out[0]).toMatchObject({ key: 0 })
    expect(out[1]).toMatchObject({ key: 1 })
    expect('error' in out[2] && out[2].error.code).toBe('LWC_UNSEAL')
  })

  it('close() while busy rejects the pending work with SealingPoolClosedError, and later calls too', async () => {
    pool = createSealingPool({ workers: 1, batchSize: 16 })
    const kp = generateSealingKeyPair()
    const big = pool.sealMany(Array.from({ length: 4000 }, (_, i) => ({ publicKey: kp.publicKey, plaintext: enc('k'), context: `c:${i}` })))
    const outcome = big.then(() => 'resolved', (e: unknown) => e)
    // Closed once the first message is being worked on (the call is then surely in flight).
    await pool.seal(kp.publicKey, enc('first'), 'c').catch(() => undefined)
    await pool.close()
    const err = await outcome
    expect(err).toBeInstanceOf(SealingPoolClosedError)
    expect(err).toMatchObject({ code: 'LWC_SEALING_POOL_CLOSED' })
    await expect(pool.seal(kp.publicKey, enc('late'), 'c')).rejects.toBeInstanceOf(SealingPoolClosedError)
    await pool.close()
  })

  it('an idle pool does not hold a process open, and a busy one is not cut short', async () => {
    const poolUrl = new URL('./sealingPool.ts', import.meta.url).href
    const sealingUrl = new URL('./sealing.ts', import.meta.url).href
    // No close(): the script ends when its work is done, with the workers still there.
    const script = `
      const { createSealingPool } = await import(${JSON.stringify(poolUrl)})
      const { generateSealingKeyPair } = await import(${JSON.stringify(sealingUrl)})
      const pool = createSealingPool({ workers: 2 })
      const kp = generateSealingKeyPair()
      const sealed = await pool.sealMany(Array.from({ length: 300 }, (_, i) => ({ publicKey: kp.publicKey, plaintext: new Uint8Array(16), context: 'c' + i })))
      const opened = await pool.openMany(kp.privateKey, sealed.map((s, i) => ({ sealed: s, context: 'c' + i })))
      console.log('done', opened.filter((o) => 'value' in o).length)
    `
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    const code = await new Promise<number | string>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000)
      child.once('exit', (c, s) => {
        clearTimeout(t)
        resolve(c ?? String(s))
      })
    })
    expect({ code, out: out.trim(), err }).toEqual({ code: 0, out: 'done 300', err: '' })
  })

  it('defaults to one worker per core beyond the first, at most two', () => {
    expect([1, 2, 3, 4, 16].map((c) => defaultPoolSize(c))).toEqual([1, 1, 2, 2, 2])
  })
})
