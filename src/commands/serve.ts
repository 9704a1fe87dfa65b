import type { Command } from 'commander'
import { registerServeBootstrapCommand } from './serve/bootstrap.js'
import { registerServeServerCommand } from './serve/server.js'

/** Registers `lwchain serve bootstrap` and `lwchain serve server`. */
export function registerServeCommands(program: Command): void {
  const serve = program.command('serve').description('run the LwM2M daemons (bootstrap server, LwM2M server)')
  serve.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ lwchain serve bootstrap --port 5784',
      '  $ lwchain serve server --port 5684 --http-port 8080',
      '  $ lwchain serve server --observe /3303/0/5700 --observe-attributes pmin=5,pmax=60',
      '  $ lwchain serve server --store memory --clients devices.json --insecure-udp   # development only',
    ].join('\n'),
  )
  registerServeBootstrapCommand(serve)
  registerServeServerCommand(serve)
}
