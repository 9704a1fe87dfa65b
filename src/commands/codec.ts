import type { Command } from 'commander'

/** Registers the `codec` command group. (Filled in by its issue.) */
export function registerCodecCommands(program: Command): void {
  void program
}
