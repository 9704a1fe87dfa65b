import { describe, expect, it } from 'vitest'
import { InvalidPathError } from './errors.js'
import { formatPath, isPathWithin, parsePath, pathLevel } from './path.js'

describe('LwM2M paths', () => {
  it('parses every level', () => {
    expect(parsePath('/')).toEqual({})
    expect(parsePath('/3')).toEqual({ objectId: 3 })
    expect(parsePath('/3/0/')).toEqual({ objectId: 3, instanceId: 0 })
    expect(parsePath('3/0/1')).toEqual({ objectId: 3, instanceId: 0, resourceId: 1 })
    expect(parsePath('/3/0/6/1')).toEqual({ objectId: 3, instanceId: 0, resourceId: 6, resourceInstanceId: 1 })
  })

  it('formats and tells the level', () => {
    expect(formatPath(parsePath('/3303/0/5700'))).toBe('/3303/0/5700')
    expect(formatPath({})).toBe('/')
    expect(pathLevel(parsePath('/3/0/6/1'))).toBe('resourceInstance')
    expect(pathLevel(parsePath('/1'))).toBe('object')
  })

  it.each(['/a', '/3/-1', '/3/0/1/2/3', '/65535', '/3//1', '/3/0x1', '/3/123456'])(
    'rejects %s',
    (text) => {
      expect(() => parsePath(text)).toThrow(InvalidPathError)
    },
  )

  it('knows when a path lies within another', () => {
    expect(isPathWithin(parsePath('/3/0/1'), parsePath('/3'))).toBe(true)
    expect(isPathWithin(parsePath('/3'), parsePath('/3/0'))).toBe(false)
    expect(isPathWithin(parsePath('/4/0'), parsePath('/'))).toBe(true)
  })
})
