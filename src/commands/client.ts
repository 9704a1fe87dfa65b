import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { SingleBar } from 'cli-progress'
import { action } from './action.js'
import { runClientAdd } from './client/add.js'
import { ImportIncompleteError, ImportValidationError, runClientImport } from './client/import.js'
import { runClientList } from './client/list.js'
import { runClientMove } from './client/move.js'
import { runClientRemove } from './client/remove.js'
import { runClientShow } from './client/show.js'
import { chainOptions, positiveInt } from './lib/commandOptions.js'
import { printJson, renderFields, renderTable, toJson } from './lib/output.js'
import type { ClientInput } from '../chain/records/clientRecord.js'

/** `client add` options: a ClientInput without the endpoint, which is the argument. */
type AddOpts = Omit<ClientInput, 'endpoint'>

/** Registers the `client` command group. */
export function registerClientCommands(program: Command): void {
  const client = program.command('client').description('LwM2M clients (devices) registered on chain')
  client.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ lwchain client add sensor-1 --printable-keys --json > sensor-1.json',
      '  $ lwchain client add "Gerät 7 – Halle B"            # spaces and UTF-8 are fine, up to 252 bytes',
      '  $ lwchain client import devices.csv --batch-size 100',
      '  $ lwchain client list',
      '  $ lwchain client show sensor-1 --reveal',
      '  $ lwchain client move sensor-1 --server-uri coaps://10.0.0.7:5684',
      '  $ lwchain client remove sensor-1',
    ].join('\n'),
  )

  client
    .command('add <endpoint>')
    .description('register a device; identities and 16-byte PSKs are generated when omitted and printed once')
    .option('--bootstrap-uri <uri>', 'bootstrap-server URI', 'coaps://127.0.0.1:5784')
    .option('--server-uri <uri>', 'LwM2M-server URI', 'coaps://127.0.0.1:5684')
    .option('--bs-identity <id>', 'bootstrap PSK identity (default: generated)')
    .option('--bs-key <hex>', 'bootstrap PSK as hex (default: 16 random bytes)')
    .option('--server-identity <id>', 'server PSK identity (default: generated)')
    .option('--server-key <hex>', 'server PSK as hex (default: 16 random bytes)')
    .option('--printable-keys', 'generate PSKs of 16 printable ASCII characters (for libcoap clients)')
    .addHelpText('after', '\nExamples:\n  $ lwchain client add sensor-1\n  $ lwchain client add sensor-2 --server-uri coaps://10.0.0.5:5684 --bs-key 000102030405060708090a0b0c0d0e0f --json')
    .action(
      action(async (endpoint: string, opts: AddOpts, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const { result } = await runClientAdd(o, { endpoint, ...opts })
        if (g.json) return printJson(result)
        console.log(
          renderFields([
            ['endpoint', result.endpoint],
            ['bootstrap uri', result.bootstrap.uri],
            ['bootstrap identity', result.bootstrap.identity],
            ['bootstrap key', result.bootstrap.key],
            ['server uri', result.server.uri],
            ['server identity', result.server.identity],
            ['server key', result.server.key],
            ['transaction', result.txHash],
          ]),
        )
        console.error('keys are shown only now; the chain holds them sealed (see `client show --reveal`)')
      }),
    )

  client
    .command('import <file>')
    .description('register many devices from CSV or JSON, in batches; reports exactly which rows landed')
    .option('--batch-size <n>', 'clients per transaction at most (a batch also stays under 100 KiB of calldata)', '120')
    .option('--printable-keys', 'generate PSKs of 16 printable ASCII characters')
    .option('--output <file>', 'also write the JSON report (with keys) to this file, mode 0600')
    .addHelpText(
      'after',
      '\nCSV header: endpoint,bootstrap_uri,server_uri,bs_identity,bs_key,server_identity,server_key\n' +
        '(blank cells are generated or defaulted). JSON: an array of objects with the same fields.\n\n' +
        'Example:\n  $ lwchain client import devices.csv --json > provisioned.json',
    )
    .action(
      action(async (file: string, opts: { batchSize?: string; printableKeys?: boolean; output?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const bar = !g.json && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: 'importing [{bar}] {value}/{total} clients' }) : undefined
        let report
        try {
          report = await runClientImport(o, {
            file,
            batchSize: positiveInt(opts.batchSize, '--batch-size', 120),
            printableKeys: opts.printableKeys,
            onProgress: (done, total) => (done === 0 ? bar?.start(total, 0) : bar?.update(done)),
          })
        } catch (err) {
          bar?.stop()
          if (err instanceof ImportValidationError && g.json) printJson({ total: err.total, landed: 0, invalid: err.invalid })
          if (err instanceof ImportValidationError && !g.json && err.invalid.length > 3) {
            // The report goes to stdout; stderr keeps its one error line.
            console.log(renderTable(['row', 'line', 'endpoint', 'problem'], err.invalid.map((r) => [r.row, r.line ?? '', r.endpoint ?? '', r.error])))
          }
          throw err
        }
        bar?.stop()
        if (opts.output) writeFileSync(opts.output, toJson(report) + '\n', { mode: 0o600 })
        if (g.json) printJson(report)
        else {
          console.log(
            renderTable(
              ['row', 'endpoint', 'status', 'bs identity', 'bs key', 'server identity', 'server key'],
              report.rows.map((r) => [r.row, r.endpoint, r.status === 'landed' ? (r.already ? 'landed (already on chain)' : 'landed') : `FAILED: ${r.error}`, r.bootstrap.identity, r.bootstrap.key, r.server.identity, r.server.key]),
            ),
          )
          const before = report.already > 0 ? ` (${report.already} were already on chain, nothing sent for them)` : ''
          console.log(`${report.landed} of ${report.total} clients landed in ${report.batches} transactions${before} (${(report.elapsedMs / 1000).toFixed(1)} s)`)
        }
        if (report.failed > 0) throw new ImportIncompleteError(report)
      }),
    )

  client
    .command('remove <endpoint>')
    .description('remove a device from the chain (revokes it everywhere)')
    .addHelpText('after', '\nExample:\n  $ lwchain client remove sensor-1')
    .action(
      action(async (endpoint: string, _opts: unknown, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runClientRemove(o, endpoint)
        if (g.json) printJson(r)
        else console.log(`removed ${r.endpoint} (transaction ${r.txHash})`)
      }),
    )

  client
    .command('move <endpoint>')
    .description('re-home a device: point it at another LwM2M server (it re-bootstraps)')
    .option('--server-uri <uri>', 'new LwM2M-server URI')
    .option('--bootstrap-uri <uri>', 'new bootstrap-server URI')
    .addHelpText('after', '\nExample:\n  $ lwchain client move sensor-1 --server-uri coaps://10.0.0.7:5684')
    .action(
      action(async (endpoint: string, opts: { serverUri?: string; bootstrapUri?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runClientMove(o, { endpoint, ...opts })
        if (g.json) printJson(r)
        else console.log(`moved ${r.endpoint} to ${r.serverUri} (version ${r.version}, transaction ${r.txHash})`)
      }),
    )

  client
    .command('list')
    .description('list registered devices (no keys)')
    .addHelpText('after', '\nExample:\n  $ lwchain client list --json')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const items = await runClientList(o)
        if (g.json) return printJson(items)
        if (items.length === 0) return console.log('no clients')
        console.log(
          renderTable(
            ['endpoint', 'server uri', 'server identity', 'bootstrap uri', 'bootstrap identity', 'version'],
            items.map((c) => [c.endpoint, c.server.uri, c.server.identity, c.bootstrap.uri, c.bootstrap.identity, c.version]),
          ),
        )
      }),
    )

  client
    .command('show <endpoint>')
    .description("show a device's record; keys only with --reveal (needs the config dir's sealing key)")
    .option('--reveal', 'unseal and print the PSKs')
    .addHelpText('after', '\nExample:\n  $ lwchain client show sensor-1 --reveal')
    .action(
      action(async (endpoint: string, opts: { reveal?: boolean }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runClientShow(o, endpoint, Boolean(opts.reveal))
        if (g.json) return printJson(r)
        console.log(
          renderFields([
            ['endpoint', r.endpoint],
            ['bootstrap uri', r.bootstrap.uri],
            ['bootstrap identity', r.bootstrap.identity],
            ['bootstrap key', r.bootstrap.key],
            ['server uri', r.server.uri],
            ['server identity', r.server.identity],
            ['server key', r.server.key],
            ['version', r.version],
            ['updated', r.updatedAt],
          ]),
        )
      }),
    )
}
