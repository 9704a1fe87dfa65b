import type { Command } from 'commander'

/** Registers the `user` command group. (Filled in by its issue.) */
export function registerUserCommands(program: Command): void {
  void program
}
