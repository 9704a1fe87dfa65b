import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// The built binary (npm test builds first); run it as an operator would.
const root = fileURLToPath(new URL('../..', import.meta.url))
const built = existsSync(`${root}/dist/cli.js`)
const lwchain = (args: string[], input?: string) =>
  spawnSync(process.execPath, [`${root}/bin/lwchain.js`, ...args], { input, encoding: 'utf8', timeout: 20_000 })

describe.skipIf(!built)('lwchain decode / encode binary', () => {
  it('decodes a SenML CBOR capture from stdin to the flat JSON object', () => {
    const r = lwchain(['decode', 'senml-cbor', '-', '--path', '/0/0/3', '--json'], '81 a2 21 66 2f 30 2f 30 2f 33 08 43 ab cd ef\n')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ '/0/0/3': '0xabcdef' })
  })

  it('encodes flat JSON and decodes it back through the binary', () => {
    const enc = lwchain(['encode', 'tlv', '{"/3/0/0":"Acme","/3/0/6/0":1,"/3/0/6/1":5}'])
    expect(enc.status).toBe(0)
    const dec = lwchain(['decode', 'tlv', enc.stdout.trim(), '--path', '/3/0', '--json'])
    expect(JSON.parse(dec.stdout)).toEqual({ '/3/0/0': 'Acme', '/3/0/6/0': 1, '/3/0/6/1': 5 })
  })

  it('exits 1 with one line on a malformed payload and 2 on bad hex', () => {
    const bad = lwchain(['decode', 'senml-json', '5b7b', '--json'])
    expect(bad.status).toBe(1)
    expect(bad.stdout).toBe('')
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/^error: cannot decode\/encode senml-json: .* at offset \d+/)
    const usage = lwchain(['decode', 'tlv', 'xyz', '--path', '/3/0'])
    expect(usage.status).toBe(2)
  })
})
