import type { Command } from 'commander'
import { registerChainCommands } from './chain.js'
import { registerDeployCommands } from './deploy.js'
import { registerClientCommands } from './client.js'
import { registerUserCommands } from './user.js'
import { registerRoleCommands } from './role.js'
import { registerKeysCommands } from './keys.js'
import { registerAnomalyCommands } from './anomaly.js'
import { registerCodecCommands } from './codec.js'
import { registerServeCommands } from './serve.js'
import { registerSimulateCommand } from './simulate.js'
import { registerDevCommand } from './dev.js'

/** Every command group of the binary, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  program.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ lwchain dev --demo 5                                   # everything on the embedded chain, 5 simulated devices',
      '  $ lwchain client add sensor-1 --printable-keys --json > sensor-1.json',
      '  $ lwchain simulate --from sensor-1.json',
      '  $ lwchain user add app1 --email app1@example.com --role application',
      '  $ lwchain anomaly list --endpoint sensor-1',
      '',
      'Every group has its own examples: lwchain client --help, lwchain user --help, ...',
    ].join('\n'),
  )
  registerChainCommands(program)
  registerDeployCommands(program)
  registerClientCommands(program)
  registerUserCommands(program)
  registerRoleCommands(program)
  registerKeysCommands(program)
  registerAnomalyCommands(program)
  registerServeCommands(program)
  registerSimulateCommand(program)
  registerDevCommand(program)
  registerCodecCommands(program)
}
