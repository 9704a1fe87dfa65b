import type { Command } from 'commander'

/** Registers the `chain` command group. (Filled in by its issue.) */
export function registerChainCommands(program: Command): void {
  void program
}
