import type { Command } from 'commander'
import { createLogger } from '../logger.js'
import { action } from './action.js'
import { globalOptions } from './globals.js'
import { printJson } from './lib/output.js'
import { runSimulate, type SimulateOptions } from './simulate/run.js'
import { untilSignal } from './lib/untilSignal.js'

/** Registers `lwchain simulate`. */
export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('run simulated LwM2M devices (Security, Server, Device, Temperature) that bootstrap and register over DTLS-PSK')
    .option('--count <n>', 'number of devices (default 5, or every device of --from)')
    .option('--from <file>', 'credentials: `client add --json` output (one per line), a `client import --json` report, or a JSON array')
    .option('--provision', 'provision the devices on chain first, with printable keys (the default without --from)')
    .option('--prefix <prefix>', 'endpoint name prefix of provisioned devices', 'sim-')
    .option('--bootstrap-uri <uri>', 'bootstrap-server URI written into provisioned records', 'coaps://127.0.0.1:5784')
    .option('--server-uri <uri>', 'LwM2M-server URI written into provisioned records', 'coaps://127.0.0.1:5684')
    .option('--lwm2m <version>', 'LwM2M version: 1.0 or 1.1', '1.1')
    .option('--format <format>', 'preferred content format: tlv, senml-json or senml-cbor')
    .option('--drift-ms <ms>', 'temperature random-walk interval (0: still)', '5000')
    .option('--concurrency <n>', 'devices starting at once', '16')
    .option('--lifetime <seconds>', 'registration lifetime when the bootstrap server sets none')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ lwchain client add sensor-1 --json > devices.jsonl && lwchain simulate --from devices.jsonl',
        '  $ lwchain simulate --count 50 --json          # provisions sim-<run>-1..50 on chain first',
      ].join('\n'),
    )
    .action(
      action(async (opts: SimulateOptions, cmd: Command) => {
        const g = globalOptions(cmd)
        const logger = createLogger(g.logLevel)
        const verbose = (state: string): boolean => state === 'registered' || state === 'failed' || state === 'bootstrapped'
        const stopped = untilSignal()
        // Text mode prints a state once per change of what people watch (a retried failure is not news).
        const last = new Map<string, string>()
        const { fleet, specs, provisioned } = await runSimulate(
          { configDir: g.configDir, rpc: g.rpc, privateKeyFile: g.privateKeyFile, logger },
          {
            ...opts,
            onState: (endpoint, state) => {
              if (g.json) printJson({ endpoint, state, at: new Date().toISOString() })
              else if (verbose(state) && specs.length <= 50 && last.get(endpoint) !== state) {
                console.error(`${endpoint}: ${state}`)
                last.set(endpoint, state)
              }
            },
          },
        ).catch((err: unknown) => {
          stopped.cancel()
          throw err
        })
        if (!g.json) console.error(`${provisioned ? 'provisioned and ' : ''}starting ${specs.length} device${specs.length === 1 ? '' : 's'}; Ctrl-C stops them`)
        const started = fleet.start()
        void started.then(({ registered, failed }) => {
          if (!g.json) console.error(`${registered} registered${failed > 0 ? `, ${failed} not yet (retrying every 10 s)` : ''}`)
        })
        await stopped
        try {
          await fleet.stop()
          await started.catch(() => undefined)
        } finally {
          stopped.cancel()
        }
        if (!g.json) console.error(`stopped ${specs.length} devices`)
      }),
    )
}
