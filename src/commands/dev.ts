import type { Command } from 'commander'
import pino from 'pino'
import { createLogger, type Logger, type LogLevel } from '../logger.js'
import { action } from './action.js'
import { showDashboard } from './dev/dashboard.js'
import { DEFAULT_DEV_DATA_DIR } from './dev/layout.js'
import { runDev, type DevOptions } from './dev/run.js'
import { createDevSampler } from './dev/stats.js'
import { globalOptions } from './globals.js'
import { printJson } from './lib/output.js'
import { untilSignal } from './lib/untilSignal.js'

type DevCliOptions = Omit<DevOptions, 'logger' | 'onDeviceState' | 'deviceTimers' | 'pollIntervalMs'> & { driftMs?: string }

/** Registers `lwchain dev`. */
export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run everything on the embedded chain: chain, contracts, admin, bootstrap server, LwM2M server + API, demo devices')
    .option('--demo <n>', 'start N simulated devices (demo-1..demo-N, provisioned on first use)')
    .option('--data-dir <dir>', 'where the chain state, config dir (profile, keys, admin login) and logs live', DEFAULT_DEV_DATA_DIR)
    .option('--http-port <port>', 'HTTP API port (default 8080, else a free one; 0: a free one)')
    .option('--rpc-port <port>', 'embedded chain JSON-RPC port (default 8545, else a free one)')
    .option('--bootstrap-port <port>', 'bootstrap server UDP port (default 5784, else a free one)')
    .option('--server-port <port>', 'LwM2M server UDP port (default 5684, else a free one)')
    .option('--drift-ms <ms>', 'temperature random-walk interval of the demo devices', '5000')
    .option('--threshold <path=t1,t2,...>', 'server threshold rule, e.g. /3303/0/5700=25,30 (repeatable): crossings become anomalies', (v: string, prev: string[] = []) => [...prev, v])
    .option('--rules <file>', 'threshold rules file (as `serve server --rules`)')
    .option('--no-console', 'do not serve the web console at /')
    .addHelpText(
      'after',
      [
        '',
        'The config dir is <data-dir>/config (or an explicit --config-dir; LWCHAIN_CONFIG_DIR is not used here):',
        'point other commands at it with --config-dir or',
        'LWCHAIN_CONFIG_DIR. The admin password is generated on first run and kept in',
        '<data-dir>/config/admin.json (mode 0600) so that every start can print it.',
        'With --json (or without a terminal) stdout gets one ready line',
        '  {"api","rpc","bootstrap","server","admin":{"username","password"}}',
        'and logs go to stderr as JSON; on a terminal a live dashboard shows (logs in <data-dir>/dev.log).',
        '',
        'Examples:',
        '  $ lwchain dev --demo 5',
        '  $ lwchain dev --demo 5 --threshold /3303/0/5700=23,25',
        '  $ lwchain dev --json --data-dir /tmp/lw --http-port 0',
      ].join('\n'),
    )
    .action(
      action(async (opts: DevCliOptions, cmd: Command) => {
        const g = globalOptions(cmd)
        const dashboard = !g.json && Boolean(process.stdout.isTTY)
        // Only an explicit --config-dir moves dev's config dir: a LWCHAIN_CONFIG_DIR exported for another
        // network must not get the embedded chain's profile written into it.
        const explicitConfigDir = (cmd.optsWithGlobals() as { configDir?: string }).configDir
        const explicitLevel = (cmd.optsWithGlobals() as { logLevel?: string }).logLevel ?? process.env.LWCHAIN_LOG_LEVEL
        const level = (explicitLevel ?? 'info') as LogLevel
        // A repeated signal is only logged: libraries re-raise the one they saw (see untilSignal),
        // so a repeat is not necessarily a second Ctrl-C.
        const stopped = untilSignal((signal) => logger.info({ signal }, 'still stopping'))
        const dataDir = opts.dataDir ?? DEFAULT_DEV_DATA_DIR
        const logger = dashboard ? fileLogger(level, dataDir) : createLogger(level)
        let dev
        try {
          dev = await runDev({ ...opts, configDir: explicitConfigDir, driftMs: opts.driftMs === undefined ? undefined : Number(opts.driftMs), logger })
        } catch (err) {
          stopped.cancel()
          throw err
        }
        let unmount: (() => void) | undefined
        const sampler = dashboard ? createDevSampler(dev) : undefined
        if (dashboard) {
          unmount = showDashboard({ ready: dev.ready, adminCreated: dev.admin.created, dataDir: dev.layout.dataDir, sample: sampler!.sample })
        } else {
          printJson(dev.ready)
          logger.info(
            { dataDir: dev.layout.dataDir, configDir: dev.layout.configDir, deployed: dev.deployed, adminCreated: dev.admin.created, demo: dev.fleet?.devices.size ?? 0, provisioned: dev.provisioned.length },
            'lwchain dev ready',
          )
        }
        const started = dev.fleet?.start().then((r) => logger.info(r, 'demo devices started'))
        const signal = await stopped
        const stopStart = Date.now()
        unmount?.()
        sampler?.stop()
        if (dashboard) console.error(`${signal}: stopping devices, server, bootstrap, then the chain (saving its state)…`)
        logger.info({ signal }, 'lwchain dev stopping')
        try {
          await dev.stop()
          await started?.catch(() => undefined)
        } finally {
          stopped.cancel()
        }
        const ms = Date.now() - stopStart
        logger.info({ ms }, 'lwchain dev stopped')
        if (dashboard) console.error(`stopped in ${(ms / 1000).toFixed(1)} s; chain state saved in ${dev.layout.chainDir}`)
        logger.flush()
      }),
    )
}

/** While the dashboard owns the terminal, logs go to <data-dir>/dev.log. */
function fileLogger(level: LogLevel, dataDir: string): Logger {
  const redact = ['key', 'psk', 'password', 'privateKey', 'secret', 'token', '*.key', '*.psk', '*.password', '*.privateKey', '*.secret', '*.token']
  return pino({ level, redact: { paths: redact, censor: '[redacted]' } }, pino.destination({ dest: `${dataDir}/dev.log`, mkdir: true, sync: false }))
}
