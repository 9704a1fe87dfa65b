import type { Command } from 'commander'

/** Registers the `deploy` command group. (Filled in by its issue.) */
export function registerDeployCommands(program: Command): void {
  void program
}
