import type { Command } from 'commander'
import { action } from './action.js'
import { runDeploy } from './deploy/run.js'
import { chainOptions } from './lib/commandOptions.js'
import { printJson, renderFields } from './lib/output.js'

/** Registers the `deploy` command. */
export function registerDeployCommands(program: Command): void {
  program
    .command('deploy')
    .description('deploy ClientStore, UserStore and AnomalyStore with a new sealing key; writes the profile')
    .option('--force', 'deploy a new set even if this config dir already has a live deployment')
    .addHelpText('after', '\nExamples:\n  $ lwchain deploy                      # on the embedded chain (lwchain chain start)\n  $ lwchain deploy --rpc https://rpc.example --private-key-file deployer.key')
    .action(
      action(async (opts: { force?: boolean }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runDeploy(o, opts)
        if (g.json) return printJson(r)
        console.log(
          renderFields([
            ['chain id', r.chainId],
            ['rpc', r.rpc],
            ['ClientStore', r.contracts.clientStore],
            ['UserStore', r.contracts.userStore],
            ['AnomalyStore', r.contracts.anomalyStore],
            ['deploy block', r.deployBlock],
            ['deployer', r.deployer],
            ['sealing key', `${r.sealingKeyFile} (private, mode 0600; daemons need it)`],
            ['profile', r.configDir],
          ]),
        )
      }),
    )
}
