import type { Command } from 'commander'

/** Registers `lwchain serve bootstrap`. (Filled in by the daemons issue.) */
export function registerServeBootstrapCommand(serve: Command): void {
  void serve
}
