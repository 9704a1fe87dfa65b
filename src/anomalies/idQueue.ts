/**
 * A FIFO of record ids. Taking a batch off the front moves a head index instead of copying the
 * array, so a backlog of millions (a long chain outage) costs O(batch) per batch, not O(backlog).
 */
export class IdQueue {
  private items: string[]
  private head = 0

  constructor(initial: readonly string[] = []) {
    this.items = [...initial]
  }

  get length(): number {
    return this.items.length - this.head
  }

  /** The id at position `i` from the front. */
  at(i: number): string {
    return this.items[this.head + i]
  }

  push(id: string): void {
    this.items.push(id)
  }

  /** Removes the first `n` ids. */
  shift(n: number): void {
    this.head += Math.min(n, this.length)
    // Reclaim the consumed prefix once it is most of the array.
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
  }

  /** Puts ids back at the front, in their order. */
  unshift(ids: readonly string[]): void {
    this.items = ids.concat(this.items.slice(this.head))
    this.head = 0
  }
}
