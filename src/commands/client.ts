import type { Command } from 'commander'

/** Registers the `client` command group. (Filled in by its issue.) */
export function registerClientCommands(program: Command): void {
  void program
}
