import type { Command } from 'commander'
import { action } from './action.js'
import { runAnomalyList } from './anomaly/list.js'
import { runAnomalyPost } from './anomaly/post.js'
import { runAnomalyVerify } from './anomaly/verify.js'
import { chainOptions } from './lib/commandOptions.js'
import { printJson, renderTable } from './lib/output.js'

/** Registers the `anomaly` command group. */
export function registerAnomalyCommands(program: Command): void {
  const anomaly = program.command('anomaly').description('critical events kept in AnomalyStore')
  anomaly.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ lwchain anomaly post --endpoint sensor-1 --level 3 --data \'{"temperature": 97.5}\'',
      '  $ lwchain anomaly list --endpoint sensor-1',
      '  $ lwchain anomaly verify 01KABCDEF0123456789ABCDEFG   # VALID (exit 0) or INVALID (exit 1)',
    ].join('\n'),
  )

  anomaly
    .command('post')
    .description('post an anomaly about an endpoint directly on chain (a Merkle batch of one)')
    .requiredOption('--endpoint <endpoint>', 'endpoint the anomaly is about')
    .requiredOption('--level <n>', 'severity 1-255')
    .requiredOption('--data <json>', 'the anomaly data, as JSON')
    .option('--timestamp <iso>', 'when it was collected (ISO 8601); default now')
    .addHelpText('after', '\nExample:\n  $ lwchain anomaly post --endpoint sensor-1 --level 3 --data \'{"temp": 97.5}\' --timestamp 2026-01-01T12:00:00Z')
    .action(
      action(async (opts: { endpoint: string; level: string; data: string; timestamp?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runAnomalyPost(o, opts)
        if (g.json) return printJson(r)
        console.log(`posted anomaly ${r.id} for ${r.endpoint} (level ${r.level}, batch ${r.batchId}, transaction ${r.txHash})`)
      }),
    )

  anomaly
    .command('list')
    .description('list anchored anomalies, optionally for one endpoint and a time window, a page at a time')
    .option('--endpoint <endpoint>', 'only this endpoint')
    .option('--from <iso>', 'timestamp at or after (ISO 8601)')
    .option('--to <iso>', 'timestamp at or before (ISO 8601)')
    .option('--limit <n>', 'page size 1-1000 (default 100)')
    .option('--cursor <c>', 'the `next` of the previous page')
    .addHelpText('after', '\nExample:\n  $ lwchain anomaly list --endpoint sensor-1 --from 2026-01-01T00:00:00Z --json')
    .action(
      action(async (opts: { endpoint?: string; from?: string; to?: string; limit?: string; cursor?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const page = await runAnomalyList(o, opts)
        if (g.json) return printJson(page)
        if (page.items.length === 0) return console.log('no anomalies')
        console.log(
          renderTable(
            ['id', 'endpoint', 'level', 'timestamp', 'batch', 'data'],
            page.items.map((a) => [a.id, a.endpoint, a.level, a.timestamp, a.batchId ?? '', JSON.stringify(a.data)]),
          ),
        )
        if (page.next) console.log(`more: --cursor ${page.next}`)
      }),
    )

  anomaly
    .command('verify <id>')
    .description('check an anomaly against its on-chain Merkle root: prints VALID (exit 0) or INVALID (exit 1)')
    .option('--record <file>', "check this copy of the record (JSON as `anomaly list --json` prints an item; '-' for stdin)")
    .addHelpText('after', '\nExample:\n  $ lwchain anomaly verify 01KAZ3J7Q0M5B8Y2X4C6V9N1PT\n  $ lwchain anomaly verify 01KAZ3J7Q0M5B8Y2X4C6V9N1PT --record saved.json')
    .action(
      action(async (id: string, opts: { record?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runAnomalyVerify(o, id, { record: opts.record })
        if (g.json) printJson(r)
        else {
          console.log(r.verdict)
          if (!r.valid) console.error(`error: ${r.problems.join('; ')}`)
        }
        if (!r.valid) process.exitCode = 1
      }),
    )
}
