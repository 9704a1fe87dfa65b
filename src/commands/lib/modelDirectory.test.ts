import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { InvalidModelError } from '../../lwm2m/models/errors.js'
import { loadModelDirectory, loadModels } from './modelDirectory.js'

const tmp = mkdtempSync(join(tmpdir(), 'lwchain-models-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function writeModel(dir: string, file: string, id: number, name: string, resourceType = 'String'): void {
  writeFileSync(
    join(dir, file),
    `<LWM2M><Object><Name>${name}</Name><ObjectID>${id}</ObjectID><ObjectVersion>2.0</ObjectVersion>
     <MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory><Resources>
     <Item ID="0"><Name>v</Name><Operations>R</Operations><MultipleInstances>Single</MultipleInstances>
     <Mandatory>Mandatory</Mandatory><Type>${resourceType}</Type></Item></Resources></Object></LWM2M>`,
  )
}

describe('model directories', () => {
  it('loads user model directories over the core ones', async () => {
    const dir = mkdtempSync(join(tmp, 'user-'))
    writeModel(dir, 'a.xml', 3, 'Replaced Device', 'Integer')
    writeModel(dir, 'b.XML', 10241, 'Vendor Object')
    writeFileSync(join(dir, 'notes.txt'), 'not a model')
    const models = await loadModels({ modelDirs: [dir] })
    expect(models.getObject(3)).toMatchObject({ name: 'Replaced Device', version: '2.0' })
    expect(models.getResource(3, 0)?.type).toBe('integer')
    expect(models.getObject(10241)?.name).toBe('Vendor Object')
    expect(models.getObject(1)?.name).toBe('LwM2M Server')
  })

  it('reads only xml files of a directory', async () => {
    const dir = mkdtempSync(join(tmp, 'only-'))
    writeModel(dir, 'x.xml', 20000, 'X')
    writeFileSync(join(dir, 'README.md'), '# no')
    expect((await loadModelDirectory(dir)).map((m) => m.id)).toEqual([20000])
  })

  it('reports a broken model file with its name', async () => {
    const dir = mkdtempSync(join(tmp, 'broken-'))
    writeFileSync(join(dir, 'bad.xml'), '<LWM2M><Object>')
    await expect(loadModels({ modelDirs: [dir] })).rejects.toThrow(/bad\.xml/)
    await expect(loadModels({ modelDirs: [dir] })).rejects.toBeInstanceOf(InvalidModelError)
  })

  it('reports a missing model directory as a typed error', async () => {
    await expect(loadModelDirectory(join(tmp, 'does-not-exist'))).rejects.toMatchObject({ code: 'LWC_INVALID_MODEL' })
  })
})
