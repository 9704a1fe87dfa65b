import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseImportFile, splitCsvLine } from './parseImportFile.js'

const dir = mkdtempSync(join(tmpdir(), 'lwchain-import-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, content: string | Buffer): string => {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

describe('parseImportFile', () => {
  it('reads CSV with BOM, CRLF, quotes, blank cells and blank lines', () => {
    const rows = parseImportFile(file('a.csv', '\uFEFFendpoint,server_uri,bs_identity\r\n"a,1",coaps://h:1,\r\n\r\nb,,"x""y"\r\n'))
    expect(rows).toEqual([
      { row: 1, line: 2, input: { endpoint: 'a,1', serverUri: 'coaps://h:1' } },
      { row: 2, line: 4, input: { endpoint: 'b', bsIdentity: 'x"y' } },
    ])
  })
  it('reports rows that are not UTF-8 or have the wrong number of columns', () => {
    const rows = parseImportFile(file('b.csv', Buffer.concat([Buffer.from('endpoint,bs_key\nok,\n'), Buffer.from([0xc3, 0x28, 0x2c, 0x0a]), Buffer.from('one\n')])))
    expect(rows.map((r) => r.error)).toEqual([undefined, 'not valid UTF-8', 'expected 2 columns, found 1'])
  })
  it('refuses unknown columns and a missing endpoint column', () => {
    expect(() => parseImportFile(file('c.csv', 'endpoint,colour\n'))).toThrow(/unknown CSV column/)
    expect(() => parseImportFile(file('d.csv', 'bs_key\n'))).toThrow(/endpoint/)
  })
  it('reads JSON arrays in flat, snake_case and nested forms', () => {
    const rows = parseImportFile(
      file('e.json', JSON.stringify([{ endpoint: 'a', bsKey: 'aa' }, { endpoint: 'b', server_uri: 'coaps://h:1' }, { endpoint: 'c', server: { identity: 'i' } }, 7])),
    )
    expect(rows[0].input).toMatchObject({ endpoint: 'a', bsKey: 'aa' })
    expect(rows[1].input).toMatchObject({ endpoint: 'b', serverUri: 'coaps://h:1' })
    expect(rows[2].input).toMatchObject({ endpoint: 'c', serverIdentity: 'i' })
    expect(rows[3].error).toBe('not an object')
    expect(() => parseImportFile(file('f.json', '{"endpoint":"a"}'))).toThrow(/array/)
    expect(() => parseImportFile(join(dir, 'missing.csv'))).toThrow(/cannot read/)
  })
  it('splits quoted CSV fields', () => {
    expect(splitCsvLine('a,"b,c",""')).toEqual(['a', 'b,c', ''])
  })
})
