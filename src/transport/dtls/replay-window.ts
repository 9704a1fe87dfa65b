/** Width of the anti-replay window (RFC 6347 4.1.2.6 suggests at least 32; we keep 64). */
export const REPLAY_WINDOW_SIZE = 64

/**
 * The record-layer anti-replay sliding window of one epoch. `check` before decrypting, `accept`
 * only after the record authenticated, so forged records cannot move the window.
 */
export class ReplayWindow {
  private top = -1
  private mask = 0n

  /** True when `seq` is new and inside (or ahead of) the window. */
  check(seq: number): boolean {
    if (seq > this.top) return true
    const diff = this.top - seq
    if (diff >= REPLAY_WINDOW_SIZE) return false
    return (this.mask & (1n << BigInt(diff))) === 0n
  }

  /** Marks `seq` as received. */
  accept(seq: number): void {
    if (seq > this.top) {
      const shift = seq - this.top
      this.mask = shift >= REPLAY_WINDOW_SIZE ? 0n : (this.mask << BigInt(shift)) & ((1n << 64n) - 1n)
      this.mask |= 1n
      this.top = seq
    } else {
      this.mask |= 1n << BigInt(this.top - seq)
    }
  }
}
