import type { Command } from 'commander'
import { registerServeBootstrapCommand } from './serve/bootstrap.js'
import { registerServeServerCommand } from './serve/server.js'

/** Registers `lwchain serve bootstrap` and `lwchain serve server`. */
export function registerServeCommands(program: Command): void {
  const serve = program.command('serve').description('run the LwM2M daemons (bootstrap server, LwM2M server)')
  registerServeBootstrapCommand(serve)
  registerServeServerCommand(serve)
}
