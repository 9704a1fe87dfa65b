import path from 'node:path'
import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { layerOf, readSourceImports, type SourceImport } from './importGraph.js'
import { readLayerTable } from './layerTable.js'

const root = path.resolve(import.meta.dirname, '../..')
const srcDir = path.join(root, 'src')
const rules = readLayerTable(path.join(root, 'docs/DESIGN.md'))
const allImports = readSourceImports(srcDir)
const imports = allImports.filter((i) => !i.external && layerOf(i.from) !== layerOf(i.to))

/** Node modules that do I/O: the core model and protocol logic (src/lwm2m/) import none of them. */
const ioModules = ['node:fs', 'node:fs/promises', 'node:net', 'node:dgram', 'node:http', 'node:child_process']

function allowed(edge: SourceImport): boolean {
  const rule = rules.find((r) => r.layer === layerOf(edge.from))
  if (rule === undefined) return false
  const target = edge.to.split(path.sep).join('/')
  return rule.mayImport.some((entry) => entry === layerOf(edge.to) || entry === target)
}

function describeEdge(edge: SourceImport): string {
  return `${edge.from} -> ${edge.to}`.split(path.sep).join('/')
}

/** Folder-level cycles (A → … → A) in the actual import graph, as `a -> b -> a` strings. */
function folderCycles(edges: readonly SourceImport[]): string[] {
  const next = new Map<string, Set<string>>()
  for (const e of edges) {
    const from = layerOf(e.from)
    if (!next.has(from)) next.set(from, new Set())
    next.get(from)!.add(layerOf(e.to))
  }
  const cycles: string[] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const to of next.get(node) ?? []) {
      if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to].join(' -> '))
      else if (state.get(to) === undefined) visit(to)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...next.keys()].sort()) if (!state.has(node)) visit(node)
  return cycles
}

describe('the folder-level import graph of src/', () => {
  it('has a row in the DESIGN.md layer table for every folder and root file of src/', () => {
    const units = readdirSync(srcDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() || (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)))
      .map((e) => e.name)
      .sort()
    expect(units.filter((u) => !rules.some((r) => r.layer === u))).toEqual([])
  })

  it('names only layers of the table, or files that exist, in the "may import" column', () => {
    const layers = new Set(rules.map((r) => r.layer))
    const unknown = rules.flatMap((r) => r.mayImport).filter((entry) => !layers.has(entry) && !layers.has(layerOf(entry)))
    expect(unknown).toEqual([])
  })

  it('imports across layers only what the table allows', () => {
    const violations = [...new Set(imports.filter((e) => !allowed(e)).map(describeEdge))].sort()
    expect(violations).toEqual([])
  })

  it('keeps I/O out of src/lwm2m/, and dgram inside src/transport/', () => {
    const io = allImports.filter(
      (i) => i.external && ((layerOf(i.from) === 'lwm2m' && ioModules.includes(i.to)) || (i.to === 'node:dgram' && layerOf(i.from) !== 'transport')),
    )
    expect([...new Set(io.map(describeEdge))].sort()).toEqual([])
  })

  it('has no cycle between folders', () => {
    expect(folderCycles(imports)).toEqual([])
  })
})
