import { describe, expect, it } from 'vitest'
import { createEmitter } from './emitter.js'

describe('createEmitter', () => {
  it('calls listeners in order and stops calling removed ones', () => {
    const e = createEmitter<{ x: [number] }>()
    const seen: string[] = []
    const a = (n: number) => seen.push(`a${n}`)
    e.on('x', a)
    e.on('x', (n) => seen.push(`b${n}`))
    e.emit('x', 1)
    e.off('x', a)
    e.emit('x', 2)
    expect(seen).toEqual(['a1', 'b1', 'b2'])
  })

  it('reports a throwing listener and still calls the next one', () => {
    const errors: unknown[] = []
    const e = createEmitter<{ x: [] }>((err) => errors.push(err))
    let called = false
    e.on('x', () => {
      throw new Error('boom')
    })
    e.on('x', () => {
      called = true
    })
    e.emit('x')
    expect(called).toBe(true)
    expect(errors).toHaveLength(1)
  })
})
