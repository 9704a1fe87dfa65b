// Turns the measurements into bench/results.json, bench/results.md and bench/plots/*.svg.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ProvisioningRow, ImportRun } from './provisioning.js'
import type { RegistrationRow } from './registration.js'
import type { ScaleRow } from './scale.js'
import type { Scale100kResult } from './scale100k.js'
import type { ColdStartResult } from './coldstart.js'
import { transportTable, type TransportResult } from './transport.js'
import type { UsersResult } from './users.js'
import { fmt, summarize, type Summary } from './lib/stats.js'
import { renderChart } from './lib/svg.js'
import { PAPER_GAS } from './provisioning.js'

/** What bench/anomalies.ts writes to bench/out/anomalies.json (the parts used here). */
export interface AnomaliesOut {
  quick: boolean
  gas: { records: number; gasUsed: number; gasPerRecord: number }[]
  accept: { scenario: string; accepted: number; concurrency: number; acceptedPerSec: number; acceptP50Ms: number; acceptP95Ms: number; anchorP50Ms: number; anchorP95Ms: number; anchorP50Blocks: number; anchorP95Blocks: number }[]
  list: { anomalies: number; indexRebuildMs: number; query: string; p50Ms: number; p95Ms: number; maxMs: number }[]
}

export interface BenchData {
  quick: boolean
  startedAt: string
  durationS: number
  /** The parts this run ran (`--part`); undefined: all of them. */
  parts?: string[]
  /** The last run of every part: when, and how long it took. */
  fullRun?: { startedAt: string; durationS: number; quick: boolean }
  machine: Record<string, string | number>
  registration?: RegistrationRow[]
  provisioning?: { rows: ProvisioningRow[]; imports: ImportRun[] }
  users?: UsersResult
  anomalies?: AnomaliesOut
  scale?: { rows: ScaleRow[]; revocation: { afterMinedMs: Summary; afterCommandMs: Summary; pollIntervalMs: number; afterMinedP99Ms?: number; followedBy?: string } }
  /** Server CPU per operation against libcoap (bench/transport.ts). */
  transport?: TransportResult
  /** 100,000 registered DTLS devices on one server process (bench/scale100k.ts). */
  scale100k?: Scale100kResult
  /** Cold / warm `serve server` start with N imported clients (bench/coldstart.ts). */
  coldStart?: ColdStartResult
  errors: Record<string, string>
}

const TARGET = {
  ratio: 1.05,
  gasAt100: Math.round(PAPER_GAS[100] / 3),
  importS: 30,
  acceptedPerS: 5000,
  anchorBlocks: 2,
  listMs: 100,
  bytesPerReg: 4096,
  revocationMs: 1000,
  revocationP50Ms: 100,
  revocationP99Ms: 250,
  cpuRatio: 1.0,
  devices: 100_000,
  requestP99Ms: 50,
  coldStartMs: 30_000,
  warmStartMs: 3_000,
  import100kS: 120,
}
const ok = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? '**met**' : '**not met**')
const last = <T>(xs: readonly T[] | undefined) => (xs && xs.length ? xs[xs.length - 1] : undefined)

/** The headline figures (the keys the issue asks for), with met / not met. */
export function headline(d: BenchData) {
  const reg = d.registration ?? []
  const worstRatio = reg.length ? Math.max(...reg.map((r) => r.ratio)) : NaN
  const prov = d.provisioning?.rows ?? []
  const gasAt = (n: number) => prov.find((r) => r.existing === n)?.addGas.median ?? NaN
  const gasAll = prov.map((r) => r.addGas.median)
  const importS = d.provisioning?.imports.length ? summarize(d.provisioning.imports.map((i) => i.seconds)).median : NaN
  const an = d.anomalies
  const burst = an?.accept.find((a) => a.scenario === 'burst')
  const steady = an?.accept.filter((a) => a.scenario.startsWith('steady')) ?? []
  const steady5k = steady.find((a) => a.scenario.includes('5,000'))
  const listMax = an ? Math.max(...an.list.filter((l) => l.query.startsWith('first page (100)')).map((l) => l.anomalies)) : NaN
  const firstPage = (n: number) => an?.list.find((l) => l.anomalies === n && l.query.startsWith('first page (100)'))
  const pageQueries = (n: number) => an?.list.filter((l) => l.anomalies === n && / 100$|\(100\)|cursor|time range$/.test(l.query)) ?? []
  const dtls = d.scale?.rows.find((r) => r.transport === 'dtls')
  const udp = d.scale?.rows.find((r) => r.transport === 'udp')
  const bytesPerReg = dtls ? dtls.heapBytesPerRegistration + dtls.externalBytesPerRegistration : NaN
  const tr = d.transport
  const big = d.scale100k
  const bigBytes = big ? big.heapBytesPerRegistration + big.externalBytesPerRegistration : NaN
  const rev = d.scale?.revocation
  const cold = d.coldStart
  const cold100k = cold && cold.clients >= 100_000 ? cold : undefined
  const login = last(d.users?.rows)?.loginMs.median ?? NaN
  const scrypt = d.users?.scryptVerifyMs.median ?? NaN
  return {
    registration: { chain_vs_memory_ratio: worstRatio, p50_ms: last(reg)?.chain.median ?? NaN, memory_p50_ms: last(reg)?.memory.median ?? NaN, at_provisioned: last(reg)?.provisioned ?? NaN, met: reg.length ? worstRatio <= TARGET.ratio : undefined },
    provisioning: {
      gas_per_add_at_1: gasAt(1),
      gas_per_add_at_100: gasAt(100),
      gas_per_add_at_1000: gasAt(1000),
      gas_per_add_at_10000: gasAt(10000),
      gas_per_remove_at_1000: prov.find((r) => r.existing === 1000)?.removeGas.median ?? NaN,
      gas_flat_max_over_min: gasAll.length ? Math.round((Math.max(...gasAll) / Math.min(...gasAll)) * 10000) / 10000 : NaN,
      import_10k_s: importS,
      gas_met: prov.length ? gasAt(100) <= TARGET.gasAt100 && Math.max(...gasAll) / Math.min(...gasAll) <= 1.01 : undefined,
      import_met: Number.isFinite(importS) ? importS < TARGET.importS : undefined,
      import_100k_s: cold100k?.importSeconds ?? NaN,
      import_100k_met: cold100k ? cold100k.importSeconds < TARGET.import100kS : undefined,
    },
    users: {
      login_p50_ms: login,
      scrypt_verify_p50_ms: scrypt,
      login_minus_scrypt_ms: Math.round((login - scrypt) * 100) / 100,
      user_add_p50_ms: last(d.users?.rows)?.addMs.median ?? NaN,
      user_update_p50_ms: last(d.users?.rows)?.updateMs.median ?? NaN,
      met: d.users ? scrypt / login >= 0.8 : undefined,
    },
    anomalies: {
      accepted_per_s: burst?.acceptedPerSec ?? NaN,
      steady_5000_achieved_per_s: steady5k?.acceptedPerSec ?? NaN,
      anchored_p50_blocks_steady: steady.length ? Math.max(...steady.map((a) => a.anchorP50Blocks)) : NaN,
      anchored_p95_blocks_steady: steady.length ? Math.max(...steady.map((a) => a.anchorP95Blocks)) : NaN,
      anchored_p50_ms_steady: steady.length ? Math.max(...steady.map((a) => a.anchorP50Ms)) : NaN,
      list_ms_at_100k: listMax >= 100_000 ? (firstPage(listMax)?.p50Ms ?? NaN) : NaN,
      list_largest_size: listMax,
      list_ms_at_largest: firstPage(listMax)?.p50Ms ?? NaN,
      list_worst_page_p95_ms_at_largest: pageQueries(listMax).length ? Math.max(...pageQueries(listMax).map((l) => l.p95Ms)) : NaN,
      accepted_met: burst ? burst.acceptedPerSec >= TARGET.acceptedPerS : undefined,
      anchored_met: steady.length ? Math.max(...steady.map((a) => a.anchorP50Blocks)) <= TARGET.anchorBlocks : undefined,
      list_met: an && pageQueries(listMax).length ? Math.max(...pageQueries(listMax).map((l) => l.p95Ms)) < TARGET.listMs : undefined,
    },
    scale: {
      registrations_per_s_dtls: dtls?.registrationsPerSec ?? NaN,
      registrations_per_s_udp: udp?.registrationsPerSec ?? NaN,
      devices_dtls: dtls?.devices ?? NaN,
      bytes_per_registration: bytesPerReg,
      bytes_per_registration_udp: udp ? udp.heapBytesPerRegistration + udp.externalBytesPerRegistration : NaN,
      rss_bytes_per_registration_dtls: dtls?.rssBytesPerRegistration ?? NaN,
      revocation_ms: rev?.afterMinedMs.median ?? NaN,
      revocation_max_ms: rev?.afterMinedMs.max ?? NaN,
      revocation_p50_ms: rev?.afterMinedMs.median ?? NaN,
      revocation_p99_ms: rev?.afterMinedP99Ms ?? NaN,
      memory_met: dtls ? bytesPerReg <= TARGET.bytesPerReg : undefined,
      revocation_met: d.scale ? d.scale.revocation.afterMinedMs.max <= TARGET.revocationMs : undefined,
      revocation_block_speed_met: rev?.afterMinedP99Ms !== undefined ? rev.afterMinedMs.median <= TARGET.revocationP50Ms && rev.afterMinedP99Ms <= TARGET.revocationP99Ms : undefined,
      devices_registered: big?.registered ?? NaN,
      bytes_per_registration_100k: bigBytes,
      rss_bytes_per_registration_100k: big?.rssBytesPerRegistration ?? NaN,
      request_p99_ms: big?.readP99Ms ?? NaN,
      update_p99_ms: big?.updateP99Ms ?? NaN,
      devices_met: big ? big.registered >= TARGET.devices : undefined,
      memory_100k_met: big ? bigBytes <= TARGET.bytesPerReg : undefined,
      request_met: big ? big.readP99Ms <= TARGET.requestP99Ms : undefined,
      cold_start_ms: cold?.coldStartMs ?? NaN,
      warm_start_ms: cold?.warmStartMs ?? NaN,
      start_clients: cold?.clients ?? NaN,
      cold_start_met: cold100k ? cold100k.coldStartMs <= TARGET.coldStartMs : undefined,
      warm_start_met: cold100k ? cold100k.warmStartMs <= TARGET.warmStartMs : undefined,
    },
    transport: {
      server_cpu_ratio_udp_request: tr?.ratio?.cpuUdpRequest ?? NaN,
      server_cpu_ratio_dtls_request: tr?.ratio?.cpuDtlsRequest ?? NaN,
      server_cpu_ratio_handshake: tr?.ratio?.cpuHandshake ?? NaN,
      server_cpu_us_udp_request: round1(tr?.lwchain.cpuUsPerUdpRequest),
      server_cpu_us_dtls_request: round1(tr?.lwchain.cpuUsPerDtlsRequest),
      server_cpu_us_handshake: round1(tr?.lwchain.cpuUsPerHandshake),
      libcoap_cpu_us_udp_request: round1(tr?.libcoap?.cpuUsPerUdpRequest),
      libcoap_cpu_us_dtls_request: round1(tr?.libcoap?.cpuUsPerDtlsRequest),
      libcoap_cpu_us_handshake: round1(tr?.libcoap?.cpuUsPerHandshake),
      // A bare node:dgram CoAP responder (bench/transport-floor.ts): what the runtime alone costs.
      node_floor_cpu_us_udp_request: round1(tr?.nodeFloor?.cpuUsPerUdpRequest),
      node_floor_ratio_udp_request: tr?.nodeFloor && tr.libcoap ? Math.round((tr.nodeFloor.cpuUsPerUdpRequest / tr.libcoap.cpuUsPerUdpRequest) * 1000) / 1000 : NaN,
      round_trips_ratio_dtls: tr?.ratio?.dtlsRoundTrips ?? NaN,
      handshakes_ratio: tr?.ratio?.handshakes ?? NaN,
      cpu_met: tr?.ratio ? tr.ratio.cpuDtlsRequest <= TARGET.cpuRatio && tr.ratio.cpuHandshake <= TARGET.cpuRatio : undefined,
    },
  }
}

function round1(x: number | undefined): number {
  return x === undefined || !Number.isFinite(x) ? NaN : Math.round(x * 10) / 10
}

function flat(o: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flat(v as Record<string, unknown>, `${prefix}${k}.`))
    else out[`${prefix}${k}`] = v
  }
  return out
}

/** Writes results.json, results.md and the plots under `dir` (bench/). */
export function writeReport(dir: string, d: BenchData, notes: Record<string, string>): void {
  const h = headline(d)
  mkdirSync(join(dir, 'plots'), { recursive: true })
  // NaN is not JSON: missing figures become null.
  const json = JSON.stringify({ ...h, flat: flat(h), meta: { quick: d.quick, startedAt: d.startedAt, durationS: d.durationS, machine: d.machine, errors: d.errors }, raw: d }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)
  writeFileSync(join(dir, 'results.json'), json + '\n')
  writePlots(join(dir, 'plots'), d)
  writeFileSync(join(dir, 'results.md'), markdown(d, h, notes))
}

function writePlots(dir: string, d: BenchData): void {
  const put = (name: string, svg: string) => writeFileSync(join(dir, name), svg)
  const reg = d.registration
  if (reg?.length) {
    const x = reg.map((r) => String(r.nominal))
    put('fig9-registration.svg', renderChart({ title: 'Fig. 9: bootstrap + registration over DTLS-PSK (median)', xLabel: 'provisioned devices', yLabel: 'ms per device', x, kind: 'line', series: [{ name: 'chain-backed', values: reg.map((r) => r.chain.median) }, { name: 'in-memory', values: reg.map((r) => r.memory.median) }] }))
    put('fig9-ratio.svg', renderChart({ title: 'Fig. 9: chain-backed / in-memory (medians)', xLabel: 'provisioned devices', yLabel: 'ratio', x, kind: 'bar', series: [{ name: 'chain / memory', values: reg.map((r) => r.ratio) }], target: { value: TARGET.ratio, label: 'target 1.05' } }))
  }
  const prov = d.provisioning?.rows
  if (prov?.length) {
    const x = prov.map((r) => String(r.existing))
    const paper = prov.map((r) => (PAPER_GAS as Record<number, number>)[r.existing] ?? NaN)
    put('fig10-gas.svg', renderChart({ title: 'Fig. 10: gas per client add / remove', xLabel: 'clients already in the registry', yLabel: 'gas', x, kind: 'bar', series: [{ name: 'add', values: prov.map((r) => r.addGas.median) }, { name: 'remove', values: prov.map((r) => r.removeGas.median) }, { name: 'paper (add)', values: paper }], target: { value: TARGET.gasAt100, label: '1/3 paper @100' } }))
    put('fig10-time.svg', renderChart({ title: 'Fig. 10: time per client add / remove (until mined)', xLabel: 'clients already in the registry', yLabel: 'ms (median)', x, kind: 'bar', series: [{ name: 'add', values: prov.map((r) => r.addMs.median) }, { name: 'remove', values: prov.map((r) => r.removeMs.median) }] }))
  }
  const users = d.users
  if (users?.rows.length) {
    const x = users.rows.map((r) => String(r.users))
    put('fig11-login.svg', renderChart({ title: 'Fig. 11: login (POST /api/login) vs the scrypt check alone', xLabel: 'users in the registry', yLabel: 'ms (median)', x, kind: 'bar', series: [{ name: 'login over HTTP', values: users.rows.map((r) => r.loginMs.median) }, { name: 'scrypt verify', values: users.rows.map(() => users.scryptVerifyMs.median) }] }))
    put('fig12-users.svg', renderChart({ title: 'Fig. 12: user add / update (until mined)', xLabel: 'users in the registry', yLabel: 'ms (median)', x, kind: 'bar', series: [{ name: 'add (incl. scrypt hash)', values: users.rows.map((r) => r.addMs.median) }, { name: 'update', values: users.rows.map((r) => r.updateMs.median) }] }))
  }
  const an = d.anomalies
  if (an) {
    const sizes = [...new Set(an.list.filter((l) => l.query.startsWith('first page (100)')).map((l) => l.anomalies))]
    const queries = [...new Set(an.list.map((l) => l.query))].filter((q) => !q.startsWith('restart') && !q.startsWith('first page after') && !q.startsWith('max page'))
    put('fig13-list.svg', renderChart({ title: 'Fig. 13: anomaly list page (p95)', xLabel: 'anomalies in the ledger', yLabel: 'ms', x: sizes.map(String), kind: 'bar', series: queries.map((q) => ({ name: q, values: sizes.map((n) => an.list.find((l) => l.anomalies === n && l.query === q)?.p95Ms ?? NaN) })), target: { value: TARGET.listMs, label: 'target 100 ms' }, logY: true }))
    put('fig14-accept.svg', renderChart({ title: 'Fig. 14: anomalies accepted per second', xLabel: 'scenario', yLabel: 'accepted / s', x: an.accept.map((a) => a.scenario), kind: 'bar', series: [{ name: 'accepted/s', values: an.accept.map((a) => a.acceptedPerSec) }], target: { value: TARGET.acceptedPerS, label: 'target 5,000/s' } }))
  }
  const sc = d.scale
  if (sc?.rows.length) {
    const x = sc.rows.map((r) => `${r.transport} (${r.devices})`)
    put('scale-rate.svg', renderChart({ title: 'Scale: registrations per second', xLabel: 'transport (devices)', yLabel: 'registrations / s', x, kind: 'bar', series: [{ name: 'whole run', values: sc.rows.map((r) => r.registrationsPerSec) }, { name: 'median window', values: sc.rows.map((r) => r.windowPerSec.median) }] }))
    put('scale-memory.svg', renderChart({ title: 'Scale: server memory per registration', xLabel: 'transport (devices)', yLabel: 'bytes', x, kind: 'bar', series: [{ name: 'heap', values: sc.rows.map((r) => r.heapBytesPerRegistration) }, { name: 'heap + external', values: sc.rows.map((r) => r.heapBytesPerRegistration + r.externalBytesPerRegistration) }], target: { value: TARGET.bytesPerReg, label: 'target 4 KB' } }))
  }
}

function markdown(d: BenchData, h: ReturnType<typeof headline>, notes: Record<string, string>): string {
  const m = d.machine
  const n = (x: number) => (Number.isFinite(x) ? x.toLocaleString('en-US') : 'n/a')
  const L: string[] = [
    '# lwchain benchmark results',
    '',
    d.parts
      ? `Last updated by \`npm run bench -- ${d.quick ? '--quick ' : ''}--part ${d.parts.join(',')}\` on ${d.startedAt} in ${d.durationS} s; the other parts keep their figures from earlier runs${d.fullRun ? ` (the last run of every part: ${d.fullRun.startedAt}, ${d.fullRun.durationS} s${d.fullRun.quick ? ', quick' : ''})` : ''}.`
      : `Generated by \`npm run bench${d.quick ? ' -- --quick' : ''}\` on ${d.startedAt} in ${d.durationS} s (${d.quick ? 'quick run: smaller sizes and fewer runs' : 'full run'}).`,
    '',
    `**Machine:** ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.platform}, node ${m.node}; load average at start ${m.loadAverage} (the machine is shared; each table notes the 1-minute load when it was taken).`,
    '',
    '**Method, common to all:** everything on loopback; the embedded chain is anvil started by the benchmark on a free port and mined on demand by the EmbeddedMiner (a lone transaction at once; under load the transactions that arrive while a block is mined share the next one); the paper used the public Ropsten testnet on an i7-4790, so its times include public-network consensus and are not comparable one for one: gas is. Medians with p25–p75 and min–max; `n` = samples.',
    '',
    '## Summary',
    '',
    '| # | figure | ours | paper (Ropsten) | target | |',
    '|---|---|---|---|---|---|',
    `| 1 | chain / memory registration ratio (worst size) | ${n(h.registration.chain_vs_memory_ratio)} (chain p50 ${n(h.registration.p50_ms)} ms at ${n(h.registration.at_provisioned)}) | 1.6–2.1 s per device; lookup 361–410 ms vs 76–132 ms | ≤ 1.05× at every size | ${ok(h.registration.met)} |`,
    `| 2 | gas per add at 1 / 100 / 1,000 / 10,000 | ${n(h.provisioning.gas_per_add_at_1)} / ${n(h.provisioning.gas_per_add_at_100)} / ${n(h.provisioning.gas_per_add_at_1000)} / ${n(h.provisioning.gas_per_add_at_10000)} (max/min ${h.provisioning.gas_flat_max_over_min}) | 203k at 1, 428k at 100, 1.41M at 500 | flat, ≤ ${n(TARGET.gasAt100)} at 100 | ${ok(h.provisioning.gas_met)} |`,
    `| 2 | import of 10,000 devices | ${n(h.provisioning.import_10k_s)} s | 23–37 s per single add | < 30 s | ${ok(h.provisioning.import_met)} |`,
    `| 3 | login p50 / scrypt verify alone | ${n(h.users.login_p50_ms)} ms / ${n(h.users.scrypt_verify_p50_ms)} ms | 149–173 ms; writes 22–38 s | login dominated by the hash (≥ 80 %) | ${ok(h.users.met)} |`,
    `| 4 | anomalies accepted per second (burst) | ${n(h.anomalies.accepted_per_s)} | 25–30 s per add | ≥ 5,000/s | ${ok(h.anomalies.accepted_met)} |`,
    `| 4 | anchored (p50 blocks, steady load) | ${n(h.anomalies.anchored_p50_blocks_steady)} blocks (p95 ${n(h.anomalies.anchored_p95_blocks_steady)}; ${n(h.anomalies.anchored_p50_ms_steady)} ms) | — | within 2 blocks | ${ok(h.anomalies.anchored_met)} |`,
    `| 4 | list page at ${n(h.anomalies.list_largest_size)} anomalies (first page p50; worst 100-row page p95) | ${n(h.anomalies.list_ms_at_largest)} ms; ${n(h.anomalies.list_worst_page_p95_ms_at_largest)} ms | 139–204 ms | < 100 ms at 100k | ${ok(h.anomalies.list_met)}${h.anomalies.list_largest_size < 100_000 ? ' (quick run: largest size below 100k)' : ''} |`,
    `| 5 | registrations per second, DTLS / UDP | ${n(h.scale.registrations_per_s_dtls)} / ${n(h.scale.registrations_per_s_udp)} (${n(h.scale.devices_dtls)} devices) | not measured | report | — |`,
    `| 5 | server memory per registration (DTLS, heap + external) | ${n(h.scale.bytes_per_registration)} B (UDP ${n(h.scale.bytes_per_registration_udp)} B) | not measured | ≤ 4,096 B | ${ok(h.scale.memory_met)} |`,
    `| 5 | revocation: remove mined → registration gone, session closed | p50 ${n(h.scale.revocation_ms)} ms, max ${n(h.scale.revocation_max_ms)} ms | not measured | ≤ one block + 1 s | ${ok(h.scale.revocation_met)} |`,
    `| 6 | server CPU per op, ours / libcoap: CoAP GET UDP, DTLS, full PSK handshake | ${n(h.transport.server_cpu_ratio_udp_request)} / ${n(h.transport.server_cpu_ratio_dtls_request)} / ${n(h.transport.server_cpu_ratio_handshake)} (${n(h.transport.server_cpu_us_udp_request)} / ${n(h.transport.server_cpu_us_dtls_request)} / ${n(h.transport.server_cpu_us_handshake)} µs vs ${n(h.transport.libcoap_cpu_us_udp_request)} / ${n(h.transport.libcoap_cpu_us_dtls_request)} / ${n(h.transport.libcoap_cpu_us_handshake)} µs); a bare node:dgram responder, UDP GET: ${n(h.transport.node_floor_cpu_us_udp_request)} µs, ${n(h.transport.node_floor_ratio_udp_request)} × libcoap | — | ≤ 1.0 for DTLS and handshakes | ${ok(h.transport.cpu_met)} |`,
    `| 7 | revocation at block speed (newHeads subscription), p50 / p99 | ${n(h.scale.revocation_p50_ms)} / ${n(h.scale.revocation_p99_ms)} ms | — | ≤ 100 / ≤ 250 ms | ${ok(h.scale.revocation_block_speed_met)} |`,
    `| 8 | DTLS devices registered on one server process | ${n(h.scale.devices_registered)} | — | 100,000 | ${ok(h.scale.devices_met)} |`,
    `| 8 | server memory per registration at that size (heap + external) | ${n(h.scale.bytes_per_registration_100k)} B (RSS ${n(h.scale.rss_bytes_per_registration_100k)} B) | — | ≤ 4,096 B | ${ok(h.scale.memory_100k_met)} |`,
    `| 9 | \`serve server\` start → first handshake answered, ${n(h.scale.start_clients)} clients: no snapshot / with snapshot | ${n(h.scale.cold_start_ms)} / ${n(h.scale.warm_start_ms)} ms | — | ≤ 30,000 / ≤ 3,000 ms at 100k | ${ok(h.scale.cold_start_met)} / ${ok(h.scale.warm_start_met)} |`,
    `| 9 | \`client import\` of 100,000 | ${n(h.provisioning.import_100k_s)} s | — | < 120 s | ${ok(h.provisioning.import_100k_met)} |`,
    `| 8 | read of a random device, p99, while 1 %/s send Updates | ${n(h.scale.request_p99_ms)} ms (Update p99 ${n(h.scale.update_p99_ms)} ms) | — | ≤ 50 ms | ${ok(h.scale.request_met)} |`,
    '',
  ]
  if (Object.keys(d.errors).length) L.push('**Failed parts of this run:**', '', ...Object.entries(d.errors).map(([k, v]) => `- ${k}: ${v}`), '')
  const section = (title: string, method: string, plots: string[], body: string[], note?: string) => {
    L.push(`## ${title}`, '', `**Method.** ${method}`, '', ...body, '')
    if (plots.length) L.push(plots.map((p) => `![${p}](plots/${p})`).join(' '), '')
    if (note) L.push(`**Note.** ${note}`, '')
  }
  if (d.registration) {
    section(
      'Fig. 9 — bootstrap + registration, chain-backed vs in-memory',
      'One embedded chain. The chain-backed daemons (`serve bootstrap` + `serve server`, live ChainView, default 1 s poll) run from the start and follow the chain while devices are provisioned (addClients batches of 100, steps of 2,000, each awaited until both views see it). At each size, in-memory daemons (the same commands with `--store memory --clients FILE`, seeded with the same records) start on their own ports; fresh devices (`src/simulator/device.ts`) provisioned for each pair alternate between the two pairs, each doing a full DTLS-PSK bootstrap + DTLS-PSK registration (new handshakes at both daemons); the first round is a warm-up and not counted. At size 10 the measured fresh devices themselves bring the registry to 2 × (runs + 1). Paper: Leshan in memory vs the Ropsten contract.',
      ['fig9-registration.svg', 'fig9-ratio.svg'],
      ['| size | provisioned | chain-backed ms | in-memory ms | ratio | provisioning s | load |', '|---:|---:|---|---|---:|---:|---:|', ...d.registration.map((r) => `| ${r.nominal} | ${r.provisioned} | ${fmt(r.chain)} | ${fmt(r.memory)} | ${r.ratio} | ${r.provisionS} | ${r.load} |`)],
      notes.registration,
    )
  }
  if (d.provisioning) {
    section(
      'Fig. 10 — client add / remove as the registry grows; batch import',
      'One embedded chain; the registry is grown to each size with addClients batches of 100 (what `client import` sends; see the note); at each size, `client add` (new endpoint) then `client remove` of it, repeated; gas from the receipts, time = the whole command until the receipt (embedded chain, mined on demand). Import: `client import` of a CSV of 10,000 endpoints (keys generated, sealed in a worker while earlier batches are sent; up to 120 records and 100 KiB of calldata per transaction, 64 in flight on the embedded chain) into a fresh registry, each run on its own chain.',
      ['fig10-gas.svg', 'fig10-time.svg'],
      [
        '| existing clients | add gas | remove gas | add ms | remove ms | load |',
        '|---:|---|---|---|---|---:|',
        ...d.provisioning.rows.map((r) => `| ${r.existing} | ${fmt(r.addGas)} | ${fmt(r.removeGas)} | ${fmt(r.addMs)} | ${fmt(r.removeMs)} | ${r.load} |`),
        '',
        '| import runs | clients | seconds (median, min–max) | transactions |',
        '|---:|---:|---|---:|',
        `| ${d.provisioning.imports.length} | ${d.provisioning.imports[0]?.clients ?? 'n/a'} | ${d.provisioning.imports.length ? fmt(summarize(d.provisioning.imports.map((i) => i.seconds)), ' s') : 'n/a'} | ${d.provisioning.imports[0]?.transactions ?? 'n/a'} |`,
      ],
      notes.provisioning,
    )
  }
  if (d.users) {
    section(
      'Figs. 11 and 12 — login, user add and update',
      'A chain-backed `serve server` with its REST API; users added with `user add` (scrypt N=2^15, r=8, p=1 verifier, sealed). Login = `POST /api/login` round trip over HTTP (first login per size not counted: it also hashes the decoy verifier once). The scrypt verify and the ChainView lookup are timed on their own. Add / update = the whole `user add` / `user update` (role change) command until mined.',
      ['fig11-login.svg', 'fig12-users.svg'],
      [
        `scrypt verify alone: ${fmt(d.users.scryptVerifyMs, ' ms')}; scrypt hash alone: ${fmt(d.users.scryptHashMs, ' ms')}.`,
        '',
        '| users | login ms | view lookup µs | add ms | add gas | update ms | update gas | load |',
        '|---:|---|---|---|---|---|---|---:|',
        ...d.users.rows.map((r) => `| ${r.users} | ${fmt(r.loginMs)} | ${fmt(r.lookupUs)} | ${fmt(r.addMs)} | ${fmt(r.addGas)} | ${fmt(r.updateMs)} | ${fmt(r.updateGas)} | ${r.load} |`),
      ],
      notes.users,
    )
  }
  if (d.anomalies) {
    const a = d.anomalies
    section(
      'Figs. 13 and 14 — anomalies',
      '`bench/anomalies.ts` (run as a child process; its own method): the anomaly ledger on anvil, accept() until fsync, Merkle batches anchored every 100 ms; accepted/s under a burst (500 in flight) and steady offered loads; blocks and ms from accept to the anchoring receipt; list() pages on an index of N anchored anomalies (rebuilt from BatchAnchored logs). Percentiles are over all accepts / all list iterations of one run.',
      ['fig13-list.svg', 'fig14-accept.svg'],
      [
        '| records per batch | gas | gas per record |', '|---:|---:|---:|', ...a.gas.map((g) => `| ${g.records} | ${g.gasUsed} | ${g.gasPerRecord} |`), '',
        '| scenario | accepted | in flight | accepted/s | accept p50/p95 ms | anchored p50/p95 ms | anchored p50/p95 blocks |', '|---|---:|---:|---:|---|---|---|',
        ...a.accept.map((x) => `| ${x.scenario} | ${x.accepted} | ${x.concurrency} | ${x.acceptedPerSec} | ${x.acceptP50Ms} / ${x.acceptP95Ms} | ${x.anchorP50Ms} / ${x.anchorP95Ms} | ${x.anchorP50Blocks} / ${x.anchorP95Blocks} |`), '',
        '| anomalies | index build ms | query | p50 ms | p95 ms | max ms |', '|---:|---:|---|---:|---:|---:|',
        ...a.list.map((l) => `| ${l.anomalies} | ${l.indexRebuildMs} | ${l.query} | ${l.p50Ms} | ${l.p95Ms} | ${l.maxMs} |`),
      ],
      notes.anomalies,
    )
  }
  if (d.scale) {
    section(
      'Scale — registrations per second, memory per registration, revocation',
      'The LwM2M server daemon runs in its own node process (`bench/scale-server.ts`, --expose-gc) with an in-memory store holding every account; simulated devices (`src/simulator/device.ts`, full device with its objects, registering directly with its server account, one socket each) register in windows of `concurrency` in flight from the parent process. Rate = devices / wall time; the spread is over windows. Memory = (server heapUsed + external after GC with all registered − before, one warm-up device already registered) / registrations: the registration store, the DTLS session and the CoAP state; RSS is noted but includes allocator slack. Revocation: chain-backed `serve server` (default 1 s view poll), one device registered, `client remove` until mined → the `deregistered(revoked)` event (registration removed, session closed).',
      ['scale-rate.svg', 'scale-memory.svg'],
      [
        '| transport | devices | registered | in flight | registrations/s | per-window /s | latency ms | heap B/reg | external B/reg | RSS B/reg | load |',
        '|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|',
        ...d.scale.rows.map((r) => `| ${r.transport} | ${r.devices} | ${r.registered} | ${r.concurrency} | ${r.registrationsPerSec} | ${fmt(r.windowPerSec)} | ${fmt(r.latencyMs)} | ${r.heapBytesPerRegistration} | ${r.externalBytesPerRegistration} | ${r.rssBytesPerRegistration} | ${r.load} |`),
        '',
        `Revocation after the remove was mined: ${fmt(d.scale.revocation.afterMinedMs, ' ms')}${d.scale.revocation.afterMinedP99Ms !== undefined ? `, p99 ${d.scale.revocation.afterMinedP99Ms} ms` : ''}; after the command started: ${fmt(d.scale.revocation.afterCommandMs, ' ms')} (view ${d.scale.revocation.followedBy ?? `poll ${d.scale.revocation.pollIntervalMs} ms`}; a lone remove is mined at once in its own block; "mined" is when the remove's block reached a newHeads subscriber of the bench's own, and anvil's notifications to two subscribers can arrive tens of ms apart, so a sample can come out negative).`,
      ],
      notes.scale,
    )
  }
  if (d.transport) {
    section(
      'Transport — server CPU per operation against libcoap',
      'Our CoAP endpoint over UDP and over our DTLS server (`bench/transport-server.ts`) and libcoap 4.3\'s `coap-server-openssl` each run in their own process, and for UDP GET a third: a bare node:dgram CoAP responder (`bench/transport-floor.ts`), the least a Node.js process can do per request; one load generator (our CoAP client over UDP, our DTLS client, CCM_8) offers both the same paced load (operations started per second, capped in flight). CPU = the server process\'s user + system time over every thread, from `/proc/PID/task/*/schedstat` (ns), over the window, divided by the operations completed in it. One uncounted warm-up round per server first (our JIT compiles then); then rounds alternate the order of the servers, and medians over rounds are reported. A handshake = a full PSK handshake with the cookie exchange, then close_notify.',
      [],
      [transportTable(d.transport)],
      notes.transport,
    )
  }
  if (d.coldStart) {
    const c = d.coldStart
    section(
      'Cold and warm start',
      'A fresh embedded chain; `client import` of a CSV of N endpoints (keys generated and sealed, default batches) timed as a whole; one `client add` gives a probe device. Then `serve server` (chain-backed, `runServeServer`, the code behind the command) starts in a fresh node process: first without the view snapshot (it reads every ClientStore event and unseals every record), then again with the snapshot the first run persisted on stop. Time from the call to the first DTLS handshake answered (the probe connects in a loop); the spawn-to-answer figure adds the node + tsx start.',
      [],
      [
        '| clients | import s | cold ms (spawn → answered) | listening after ms | warm ms (spawn → answered) | listening after ms | load |',
        '|---:|---:|---:|---:|---:|---:|---:|',
        `| ${c.clients} | ${c.importSeconds} (load ${c.importLoad}) | ${c.coldStartMs} (${c.coldSpawnMs}) | ${c.coldListeningMs} | ${c.warmStartMs} (${c.warmSpawnMs}) | ${c.warmListeningMs} | ${c.load} |`,
      ],
      notes.coldStart,
    )
  }
  if (d.scale100k) {
    const b = d.scale100k
    section(
      'Scale — 100,000 DTLS devices on one server process',
      `The LwM2M server daemon (\`bench/scale-server.ts\`, in-memory store of all accounts, maxSessions raised to the target) in its own process; ${b.processes} load processes (\`bench/scale100k-load.ts\`) of light devices (our DTLS client + CoAP endpoint, one socket each, CCM_8), each process bound to its own loopback address 127.0.0.x, ${'8'} handshakes + registrations in flight per process. Memory = server heapUsed + external after GC, all registered, minus before any, / registrations. Then for ${b.loadDurationS} s: 1 % of the registered devices send an Update each second (spread over the second) while the server reads /3/0/0 of random registered devices at 50/s (16 in flight) through \`daemon.send\`, the call the REST route \`GET /api/clients/:endpoint/3/0/0\` makes (the HTTP layer in front is not in this figure); latency from the server process.`,
      [],
      [
        '| target | registered | failed | seconds | registrations/s | server CPU µs/registration | heap B/reg | external B/reg | RSS B/reg | read ms | read p99 ms | Update ms | Update p99 ms | load |',
        '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|',
        `| ${b.target} | ${b.registered} | ${b.failed} | ${b.registerSeconds} | ${b.registrationsPerSec} | ${b.serverCpuUsPerRegistration} | ${b.heapBytesPerRegistration} | ${b.externalBytesPerRegistration} | ${b.rssBytesPerRegistration} | ${fmt(b.readLatencyMs)} | ${b.readP99Ms} | ${fmt(b.updateLatencyMs)} | ${b.updateP99Ms} | ${b.load} |`,
        ...(b.limitedBy ? ['', `Target not reached: limited by ${b.limitedBy}.`] : []),
      ],
      notes.scale100k,
    )
  }
  return L.join('\n') + '\n'
}
