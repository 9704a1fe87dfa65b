import { Command, CommanderError, Option } from 'commander'
import { LOG_LEVELS } from './logger.js'
import { registerCommands } from './commands/index.js'

/** Builds the `lwchain` program: global options, then every command group. */
export function buildProgram(): Command {
  const program = new Command('lwchain')
    .description('Reliable, auditable LwM2M device management backed by Ethereum smart contracts')
    .version(process.env.npm_package_version ?? '0.1.0')
    .option('--json', 'machine-readable output on stdout', false)
    .option('--config-dir <dir>', 'configuration directory (env LWCHAIN_CONFIG_DIR)')
    .option('--rpc <url>', 'EVM JSON-RPC URL (env LWCHAIN_RPC_URL); default: the embedded chain')
    .option('--private-key-file <file>', 'file holding the signer key (env LWCHAIN_PRIVATE_KEY)')
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]))
    // One line per error (DESIGN.md's contract), the hint on the same line; subcommands inherit it.
    .configureOutput({ outputError: (message, write) => write(`${message.trimEnd()} (run with --help for usage)\n`) })
    .exitOverride()
  registerCommands(program)
  return program
}

async function main(): Promise<void> {
  const program = buildProgram()
  try {
    await program.parseAsync(process.argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every other parse failure is a usage error (exit 2).
      process.exitCode = err.exitCode === 0 ? 0 : 2
      return
    }
    throw err
  }
}

await main()
