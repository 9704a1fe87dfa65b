import type { Command } from 'commander'
import { STORE_LABELS } from '../chain/roles/roles.js'
import { action } from './action.js'
import { chainOptions } from './lib/commandOptions.js'
import { printJson, renderTable } from './lib/output.js'
import { runRoleChange, runRoleList } from './role/run.js'

const ROLES_HELP = [
  '',
  'Roles:',
  '  admin   grants and revokes roles, rotates the sealing key (all three stores)',
  '  writer  adds, changes and removes devices and accounts (ClientStore, UserStore)',
  '  poster  anchors anomaly batches (AnomalyStore); what `serve server` signs with',
].join('\n')

/** Registers the `role` command group (AccessControl roles of the deployment's stores). */
export function registerRoleCommands(program: Command): void {
  const role = program.command('role').description('contract roles: who may administer, write devices and accounts, or post anomalies')
  role.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ lwchain role list',
      '  $ lwchain role grant poster 0x70997970C51812dc3A010C7d01b50e0d17dc79C8   # the server daemon\'s anchoring key',
      '  $ lwchain role grant writer 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC   # admin writes from the console',
      '  $ lwchain role revoke writer 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    ].join('\n'),
  )

  for (const op of ['grant', 'revoke'] as const) {
    role
      .command(`${op} <role> <address>`)
      .description(op === 'grant' ? 'give an account a role on every store it lives on (needs the admin role)' : "take a role from an account (the last admin's admin role is refused)")
      .addHelpText(
        'after',
        `${ROLES_HELP}\n\nExamples:\n  $ lwchain role ${op} poster 0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n  $ lwchain role ${op} writer 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --json`,
      )
      .action(
        action(async (roleName: string, address: string, _opts: unknown, cmd: Command) => {
          const { g, o } = chainOptions(cmd)
          const r = await runRoleChange(o, op, roleName, address)
          if (g.json) return printJson(r)
          const verb = op === 'grant' ? 'granted' : 'revoked'
          if (r.changed.length === 0) return console.log(`nothing to do: ${r.account} ${op === 'grant' ? 'already holds' : 'does not hold'} ${r.role}`)
          console.log(`${verb} ${r.role} ${op === 'grant' ? 'to' : 'from'} ${r.account} on ${r.changed.map((c) => `${STORE_LABELS[c.store]} (${c.txHash})`).join(', ')}`)
        }),
      )
  }

  role
    .command('list [role] [address]')
    .description('who holds each role (from the role events), or which roles one account holds')
    .addHelpText('after', `${ROLES_HELP}\n\nExamples:\n  $ lwchain role list\n  $ lwchain role list poster\n  $ lwchain role list 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json`)
    .action(
      action(async (roleName: string | undefined, address: string | undefined, _opts: unknown, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runRoleList(o, roleName, address)
        if (g.json) return printJson(r)
        if ('account' in r) return console.log(r.roles.length ? `${r.account}: ${r.roles.join(', ')}` : `${r.account} holds no role`)
        if (r.holders.length === 0) return console.log('nobody holds that role')
        console.log(
          renderTable(
            ['role', 'account', 'stores'],
            r.holders.map((h) => [h.role, h.account, h.stores.map((s) => STORE_LABELS[s]).join(', ') + (h.complete ? '' : ' (partial)')]),
          ),
        )
      }),
    )
}
