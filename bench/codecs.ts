/**
 * Codec throughput: encodes/s and decodes/s (and MB/s) per content format for one object
 * instance of 100 resources of mixed types. Bounded iterations, a warm-up, median of 5 runs.
 *
 *   npx tsx bench/codecs.ts [--quick]
 *
 * Prints a markdown table and writes bench/out/codecs.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { codecFor } from '../src/lwm2m/codec/index.js'
import { ContentFormat } from '../src/lwm2m/content-format.js'
import type { ObjectInstanceNode, ResourceNode, ResourceType, ResourceValue } from '../src/lwm2m/node.js'
import type { ModelRegistry, ResourceModel } from '../src/lwm2m/model.js'
import { toPath } from '../src/lwm2m/path.js'

const RUNS = 5
const OBJECT_ID = 20000
const TYPES: ResourceType[] = ['string', 'integer', 'unsigned', 'float', 'boolean', 'opaque', 'time', 'objlnk']

/** 100 resources cycling through the types; every fifth one multiple with 3 instances. */
function benchInstance(): { node: ObjectInstanceNode; models: ModelRegistry } {
  const resources = new Map<number, ResourceNode>()
  const rmodels = new Map<number, ResourceModel>()
  for (let id = 0; id < 100; id++) {
    const type = TYPES[id % TYPES.length]
    const multiple = id % 5 === 4
    rmodels.set(id, { id, name: `r${id}`, type, multiple, mandatory: false, operations: 'RW' })
    resources.set(
      id,
      multiple
        ? { kind: 'multipleResource', id, type, instances: new Map([0, 1, 2].map((ri) => [ri, sample(type, id * 10 + ri)])) }
        : { kind: 'resource', id, type, value: sample(type, id) },
    )
  }
  const object = { id: OBJECT_ID, name: 'bench', version: '1.0', multiple: true, mandatory: false, resources: rmodels }
  const models: ModelRegistry = {
    getObject: (o) => (o === OBJECT_ID ? object : undefined),
    getResource: (o, r) => (o === OBJECT_ID ? rmodels.get(r) : undefined),
    objects: () => [object],
  }
  return { node: { kind: 'instance', id: 0, resources }, models }
}

function sample(type: ResourceType, n: number): ResourceValue {
  switch (type) {
    case 'string':
      return `value number ${n} of the bench`
    case 'integer':
      return n * 1000 - 7
    case 'unsigned':
      return n * 65537
    case 'float':
      return n / 7
    case 'boolean':
      return n % 2 === 0
    case 'opaque':
      return new Uint8Array(16).map((_, i) => (i * 31 + n) & 0xff)
    case 'time':
      return new Date((1_700_000_000 + n) * 1000)
    case 'objlnk':
      return { objectId: 3, instanceId: n % 10 }
    default:
      return null
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Operations per second of `fn`, median of RUNS runs of `iterations` calls after a warm-up. */
function measure(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn()
  const rates: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) fn()
    const ns = Number(process.hrtime.bigint() - start)
    rates.push(iterations / (ns / 1e9))
  }
  return median(rates)
}

export interface CodecBenchResult {
  format: string
  payloadBytes: number
  encodesPerSec: number
  decodesPerSec: number
  encodeMBps: number
  decodeMBps: number
}

/** Measures every structured format on the 100-resource instance. */
export function runCodecBench(options: { quick?: boolean } = {}): { iterations: number; results: CodecBenchResult[] } {
  const iterations = options.quick ? 200 : 2000
  const { node, models } = benchInstance()
  const path = toPath([OBJECT_ID, 0])
  const formats = [
    ['tlv', ContentFormat.TLV],
    ['senml-json', ContentFormat.SENML_JSON],
    ['senml-cbor', ContentFormat.SENML_CBOR],
    ['lwm2m-json', ContentFormat.JSON],
  ] as const
  const results = formats.map(([name, format]): CodecBenchResult => {
    const codec = codecFor(format)
    const bytes = codec.encode(node, path, models)
    const encodesPerSec = measure(() => codec.encode(node, path, models), iterations)
    const decodesPerSec = measure(() => codec.decode(bytes, path, models), iterations)
    return {
      format: name,
      payloadBytes: bytes.length,
      encodesPerSec: Math.round(encodesPerSec),
      decodesPerSec: Math.round(decodesPerSec),
      encodeMBps: +((encodesPerSec * bytes.length) / 1e6).toFixed(2),
      decodeMBps: +((decodesPerSec * bytes.length) / 1e6).toFixed(2),
    }
  })
  return { iterations, results }
}

/** The markdown table of a run. */
export function codecBenchTable(iterations: number, results: readonly CodecBenchResult[]): string {
  return [
    `Codec throughput, one instance of 100 resources (${iterations} iterations × ${RUNS} runs, median; node ${process.version})`,
    '',
    '| format | payload bytes | encodes/s | encode MB/s | decodes/s | decode MB/s |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.format} | ${r.payloadBytes} | ${r.encodesPerSec} | ${r.encodeMBps} | ${r.decodesPerSec} | ${r.decodeMBps} |`),
  ].join('\n')
}

function main(): void {
  const { iterations, results } = runCodecBench({ quick: process.argv.includes('--quick') })
  console.log('\n' + codecBenchTable(iterations, results))
  const outDir = join(dirname(fileURLToPath(import.meta.url)), 'out')
  mkdirSync(outDir, { recursive: true })
  const file = join(outDir, 'codecs.json')
  const report = { date: new Date().toISOString(), node: process.version, iterations, runs: RUNS, resources: 100, results }
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
  console.log(`\nwritten: ${file}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main()
