import type { Command } from 'commander'

/** Registers `lwchain serve server`. (Filled in by the daemons issue.) */
export function registerServeServerCommand(serve: Command): void {
  void serve
}
