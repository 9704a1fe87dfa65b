import type { Command } from 'commander'

/** Registers the `anomaly` command group. (Filled in by its issue.) */
export function registerAnomalyCommands(program: Command): void {
  void program
}
