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

  anomaly
    .command('post')
    .description('post an anomaly about an endpoint')
    .requiredOption('--endpoint <endpoint>', 'endpoint the anomaly is about')
    .requiredOption('--level <n>', 'severity 0-255')
    .requiredOption('--data <json>', 'the anomaly data, as JSON')
    .option('--timestamp <iso>', 'when it was collected (ISO 8601); default now')
    .addHelpText('after', '\nExample:\n  $ lwchain anomaly post --endpoint sensor-1 --level 3 --data \'{"temp": 97.5}\' --timestamp 2026-01-01T12:00:00Z')
    .action(
      action(async (opts: { endpoint: string; level: string; data: string; timestamp?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runAnomalyPost(o, opts)
        if (g.json) return printJson(r)
        console.log(`posted anomaly ${r.id} for ${r.endpoint} (level ${r.level}, transaction ${r.txHash})`)
      }),
    )

  anomaly
    .command('list')
    .description('list anomalies, optionally for one endpoint and a time window')
    .option('--endpoint <endpoint>', 'only this endpoint')
    .option('--from <iso>', 'timestamp at or after (ISO 8601)')
    .option('--to <iso>', 'timestamp at or before (ISO 8601)')
    .addHelpText('after', '\nExample:\n  $ lwchain anomaly list --endpoint sensor-1 --from 2026-01-01T00:00:00Z --json')
    .action(
      action(async (opts: { endpoint?: string; from?: string; to?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const items = await runAnomalyList(o, opts)
        if (g.json) return printJson(items)
        if (items.length === 0) return console.log('no anomalies')
        console.log(renderTable(['id', 'endpoint', 'level', 'timestamp', 'data'], items.map((a) => [a.id, a.endpoint, a.level, a.timestamp, JSON.stringify(a.data)])))
      }),
    )

  anomaly
    .command('verify <id>')
    .description('check an anomaly against the chain: prints VALID (exit 0) or INVALID (exit 1)')
    .addHelpText('after', '\nExample:\n  $ lwchain anomaly verify 1')
    .action(
      action(async (id: string, _opts: unknown, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runAnomalyVerify(o, id).catch((err) => {
          // An id the chain does not know is not a valid anomaly either.
          if ((err as { code?: string }).code === 'LWC_ANOMALY_NOT_FOUND' && !g.json) console.log('INVALID')
          throw err
        })
        if (g.json) printJson(r)
        else {
          console.log(r.valid ? 'VALID' : 'INVALID')
          if (!r.valid) console.error(`error: ${r.problems.join('; ')}`)
        }
        if (!r.valid) process.exitCode = 1
      }),
    )
}
