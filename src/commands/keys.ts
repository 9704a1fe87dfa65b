import type { Command } from 'commander'
import { SingleBar } from 'cli-progress'
import { action } from './action.js'
import { runKeysRotate } from './keys/rotate.js'
import { chainOptions, positiveInt } from './lib/commandOptions.js'
import { printJson, renderFields } from './lib/output.js'

/** A progress bar on stderr (terminals only; never with --json). */
export function resealBar(json: boolean, label: string): { onProgress: (done: number, total: number) => void; stop: () => void } {
  const bar = !json && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: `${label} [{bar}] {value}/{total} records` }) : undefined
  let started = false
  return {
    onProgress: (done, total) => {
      if (!started || done === 0) {
        bar?.start(total, done)
        started = true
      } else bar?.update(done)
    },
    stop: () => bar?.stop(),
  }
}

/** Registers the `keys` command group (the deployment's sealing key). */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description("the deployment's sealing key (PSKs, e-mails and password verifiers are sealed to it)")
  keys.addHelpText('after', ['', 'Examples:', '  $ lwchain keys rotate', '  $ lwchain keys rotate --batch-size 100 --json'].join('\n'))

  keys
    .command('rotate')
    .description('new sealing key pair: set on chain, every record re-sealed in batches, the old private key deleted')
    .option('--batch-size <n>', 'records per transaction', '50')
    .addHelpText(
      'after',
      [
        '',
        'Needs a signer with the admin and writer roles. Daemons on this config dir follow the',
        'rotation without a restart. Interrupted? Run it again: it resumes and finishes the same key.',
        'Every account is rewritten, so every token ends: users sign in again.',
        '',
        'Examples:',
        '  $ lwchain keys rotate',
        '  $ lwchain keys rotate --batch-size 100 --json',
      ].join('\n'),
    )
    .action(
      action(async (opts: { batchSize?: string }, cmd: Command) => {
        const { g, o } = chainOptions(cmd)
        const bar = resealBar(g.json, 're-sealing')
        let r
        try {
          r = await runKeysRotate(o, { batchSize: positiveInt(opts.batchSize, '--batch-size', 50), onProgress: bar.onProgress })
        } finally {
          bar.stop()
        }
        if (g.json) return printJson(r)
        console.log(
          renderFields([
            ['old public key', r.oldPublicKey],
            ['new public key', r.newPublicKey],
            ['new private key', `${r.keyFile} (mode 0600)`],
            ['re-sealed', `${r.reseal.clients} clients, ${r.reseal.users} users in ${r.reseal.transactions} transactions (${r.reseal.unchanged} already current)`],
            ['retried', r.reseal.retried],
            ['deleted', r.deleted.join(', ') || 'nothing'],
          ]),
        )
        if (r.reseal.unopenable.length > 0) console.error(`warning: ${r.reseal.unopenable.length} records open with no key held and were left as they are: ${r.reseal.unopenable.slice(0, 5).join(', ')}`)
      }),
    )
}
