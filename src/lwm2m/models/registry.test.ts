import { describe, expect, it } from 'vitest'
import { InvalidModelError } from './errors.js'
import { createModelRegistry, loadDefaultModels, loadDefaultModelsAsync, parseModelTexts } from './registry.js'

describe('model registry', () => {
  it('loads the shipped core models', () => {
    const models = loadDefaultModels()
    expect([...models.objects()].map((m) => m.id)).toEqual([0, 1, 2, 3, 4, 5, 3303])
    expect(models.getResource(3, 0)?.name).toBe('Manufacturer')
    expect(models.getResource(1, 1)?.type).toBe('unsigned')
    expect(models.getObject(99999)).toBeUndefined()
    expect(models.getResource(3, 999)).toBeUndefined()
  })

  it('loads the core models asynchronously too', async () => {
    const models = await loadDefaultModelsAsync()
    expect(models.getObject(3303)?.name).toBe('Temperature')
  })

  it('lets a later model override an earlier one with the same id', () => {
    const [device] = [...loadDefaultModels().objects()].filter((m) => m.id === 3)
    const custom = { ...device, name: 'My Device', resources: new Map() }
    const registry = createModelRegistry([device, custom])
    expect(registry.getObject(3)?.name).toBe('My Device')
    expect([...registry.objects()]).toHaveLength(1)
  })
  it('reports a broken model text with its source', () => {
    expect(() => parseModelTexts([{ text: '<LWM2M><Object>', source: 'bad.xml' }])).toThrow(/bad\.xml/)
    expect(() => parseModelTexts([{ text: '<LWM2M><Object>', source: 'bad.xml' }])).toThrow(InvalidModelError)
  })
})
