import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { registerCommands } from './index.js'

/** What `lwchain <path> --help` prints (commander writes addHelpText through the output hooks). */
function helpOf(path: string[]): string {
  const program = new Command('lwchain')
  registerCommands(program)
  let out = ''
  const capture = (c: Command): void => {
    c.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (out += s) })
    c.exitOverride()
    for (const sub of c.commands) capture(sub)
  }
  capture(program)
  try {
    program.parse([...path, '--help'], { from: 'user' })
  } catch {
    // --help ends with a CommanderError (exit 0) under exitOverride
  }
  return out
}

describe('--help', () => {
  it('has examples at the top level and in every command group', () => {
    const program = new Command('lwchain')
    registerCommands(program)
    const groups = program.commands.filter((c) => c.commands.length > 0).map((c) => c.name())
    expect(groups).toEqual(expect.arrayContaining(['chain', 'client', 'user', 'anomaly', 'serve']))
    for (const path of [[], ...groups.map((g) => [g])]) {
      const text = helpOf(path)
      expect(text, `lwchain ${path.join(' ')} --help`).toMatch(/Examples?:\n\s+\$ lwchain /)
    }
  })

  it('has examples for every command', () => {
    const program = new Command('lwchain')
    registerCommands(program)
    const leaves: string[][] = []
    const walk = (c: Command, path: string[]): void => {
      if (c.commands.length === 0) leaves.push(path)
      for (const s of c.commands) walk(s, [...path, s.name()])
    }
    for (const c of program.commands) walk(c, [c.name()])
    const missing = leaves.filter((p) => !/Examples?:/.test(helpOf(p))).map((p) => p.join(' '))
    expect(missing).toEqual([])
  })
})
