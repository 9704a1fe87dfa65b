import type { Command } from 'commander'
import { action } from './action.js'
import { chainOptions } from './lib/commandOptions.js'
import { printJson, renderFields, renderTable } from './lib/output.js'
import { runUserAdd } from './user/add.js'
import { runUserList, runUserShow } from './user/list.js'
import { readPasswordFrom } from './user/readPassword.js'
import { runUserRemove } from './user/remove.js'
import { runUserUpdate } from './user/update.js'
import { runMigrateEmails } from './keys/migrateEmails.js'
import { resealBar } from './keys.js'
import { positiveInt } from './lib/commandOptions.js'

/** Registers the `user` command group. */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('user and application accounts (UserStore)')
  user.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ lwchain user add alice --email alice@example.com --role admin',
      "  $ echo 'app1-password-123' | lwchain user add app1 --email app1@example.com --role application --password-stdin",
      '  $ lwchain user list',
      '  $ lwchain user update alice --role user',
      '  $ lwchain user remove alice',
    ].join('\n'),
  )

  user
    .command('add <username>')
    .description('add an account; the password is read from stdin or generated and printed once')
    .requiredOption('--email <email>', 'e-mail address (stored sealed, looked up by hash)')
    .requiredOption('--role <role>', 'admin, user or application')
    .option('--password-stdin', 'read the password from stdin')
    .addHelpText('after', '\nExamples:\n  $ lwchain user add alice --email alice@example.com --role admin\n  $ printf "s3cret" | lwchain user add app1 --email ops@example.com --role application --password-stdin')
    .action(
      action(async (username: string, opts: { email: string; role: string; passwordStdin?: boolean }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const password = opts.passwordStdin ? await readPasswordFrom(process.stdin) : undefined
        const r = await runUserAdd(o, { username, email: opts.email, role: opts.role, password })
        if (g.json) return printJson(r)
        console.log(renderFields([['username', r.username], ['role', r.role], ['e-mail', r.email], ['password', r.password], ['transaction', r.txHash]]))
        if (r.password) console.error('the generated password is shown only now')
      }),
    )

  user
    .command('update <username>')
    .description("change an account's e-mail, role or password")
    .option('--email <email>', 'new e-mail address')
    .option('--role <role>', 'new role: admin, user or application')
    .option('--password-stdin', 'read a new password from stdin')
    .addHelpText('after', '\nExample:\n  $ lwchain user update alice --role user')
    .action(
      action(async (username: string, opts: { email?: string; role?: string; passwordStdin?: boolean }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const password = opts.passwordStdin ? await readPasswordFrom(process.stdin) : undefined
        const r = await runUserUpdate(o, { username, email: opts.email, role: opts.role, password })
        if (g.json) return printJson(r)
        console.log(`updated ${r.username} (${r.changed.join(', ')}; version ${r.version}, transaction ${r.txHash})`)
      }),
    )

  user
    .command('remove <username>')
    .description('remove an account')
    .addHelpText('after', '\nExample:\n  $ lwchain user remove alice')
    .action(
      action(async (username: string, _opts: unknown, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const r = await runUserRemove(o, username)
        if (g.json) return printJson(r)
        console.log(`removed ${r.username} (transaction ${r.txHash})`)
      }),
    )

  user
    .command('migrate-emails')
    .description('one-shot: key the e-mail lookup hashes of a deployment from before keyed hashes (HMAC under a new e-mail key)')
    .option('--batch-size <n>', 'accounts per transaction', '50')
    .addHelpText(
      'after',
      '\nLogins by e-mail keep working throughout; migrated accounts sign in again (their version changes).\nThe plain hashes in old events stay in the chain\'s history.\n\nExample:\n  $ lwchain user migrate-emails',
    )
    .action(
      action(async (opts: { batchSize?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const bar = resealBar(g.json, 'migrating')
        let r
        try {
          r = await runMigrateEmails(o, { batchSize: positiveInt(opts.batchSize, '--batch-size', 50), onProgress: bar.onProgress })
        } finally {
          bar.stop()
        }
        if (g.json) return printJson(r)
        console.log(`${r.createdKey ? 'created the e-mail key ' + r.emailKeyFile + '; ' : ''}rewrote ${r.reseal.users} accounts in ${r.reseal.transactions} transactions (${r.reseal.unchanged} records already keyed)`)
      }),
    )

  user
    .command('list')
    .description('list accounts (no e-mails or passwords)')
    .addHelpText('after', '\nExample:\n  $ lwchain user list --json')
    .action(
      action(async (_opts: unknown, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const users = await runUserList(o)
        if (g.json) return printJson(users)
        if (users.length === 0) return console.log('no users')
        console.log(renderTable(['username', 'role', 'version'], users.map((u) => [u.username, u.role, u.version])))
      }),
    )

  user
    .command('show <username>')
    .description('show an account (no e-mail or password)')
    .addHelpText('after', '\nExample:\n  $ lwchain user show alice')
    .action(
      action(async (username: string, _opts: unknown, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const u = await runUserShow(o, username)
        if (g.json) return printJson(u)
        console.log(renderFields([['username', u.username], ['role', u.role], ['version', u.version], ['updated', u.updatedAt]]))
      }),
    )
}
