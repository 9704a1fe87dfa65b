import type { Command } from 'commander'
import { createLogger } from '../logger.js'
import { action } from './action.js'
import { runChainStart } from './chain/start.js'
import { globalOptions } from './globals.js'
import { printJson } from './lib/output.js'

/** Registers the `chain` command group. */
export function registerChainCommands(program: Command): void {
  const chain = program.command('chain').description('the embedded chain (anvil from npm)')
  chain.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ lwchain chain start --port 8545 --data-dir ./chain-data',
      '  $ lwchain deploy                                      # in another terminal',
    ].join('\n'),
  )
  chain
    .command('start')
    .description('run the embedded chain with its state persisted in a data dir; Ctrl-C stops it')
    .option('--port <port>', 'RPC port (0 picks a free one)', '8545')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'state directory (default: <config dir>/chain)')
    .addHelpText('after', '\nExample:\n  $ lwchain chain start --port 8545 --data-dir ./chain-data\n  $ lwchain deploy   # in another terminal')
    .action(
      action(async (opts: { port: string; host: string; dataDir?: string }, cmd: Command) => {
        const g = globalOptions(cmd)
        const logger = createLogger(g.logLevel)
        const running = await runChainStart({ ...opts, configDir: g.configDir, logger })
        if (g.json) printJson({ rpc: running.rpcUrl, statePath: running.statePath })
        else {
          console.log(`embedded chain listening at ${running.rpcUrl}`)
          if (running.statePath) console.log(`state: ${running.statePath}`)
          console.log('press Ctrl-C to stop (state is saved on exit)')
        }
        let stopping = false
        const stop = (): void => {
          if (stopping) return
          stopping = true
          void running.stop().then(() => {
            if (!g.json) console.error('embedded chain stopped; state saved')
          })
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        const code = await running.exited
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        if (!stopping) throw new Error(`anvil exited unexpectedly (code ${code})`)
      }),
    )
}
