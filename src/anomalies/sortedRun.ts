/** Sort key of a listed anomaly: collection time, then id. */
export interface Keyed {
  collectedAt: number
  id: string
}

/** Orders by collection time, then id (ids are unique, so the order is total). */
export function compareKeys(a: Keyed, b: Keyed): number {
  return a.collectedAt - b.collectedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * An array kept sorted by (collectedAt, id) for range scans. Appends go to an unsorted tail that
 * is sorted and merged in on the next read, so a burst of accepts costs O(1) each and a read after
 * it one O(n) merge, instead of an O(n) splice per insert.
 */
export class SortedRun<T extends Keyed> {
  private main: T[] = []
  private tail: T[] = []

  add(item: T): void {
    this.tail.push(item)
  }

  remove(predicate: (item: T) => boolean): void {
    this.main = this.items().filter((x) => !predicate(x))
  }

  get size(): number {
    return this.main.length + this.tail.length
  }

  /** The items in order (merges the tail first). */
  items(): T[] {
    if (this.tail.length === 0) return this.main
    const tail = this.tail.sort(compareKeys)
    this.tail = []
    const a = this.main
    if (a.length === 0 || compareKeys(a[a.length - 1], tail[0]) < 0) {
      this.main = a.concat(tail)
      return this.main
    }
    const out: T[] = new Array(a.length + tail.length)
    let i = 0
    let j = 0
    let k = 0
    while (i < a.length && j < tail.length) out[k++] = compareKeys(a[i], tail[j]) <= 0 ? a[i++] : tail[j++]
    while (i < a.length) out[k++] = a[i++]
    while (j < tail.length) out[k++] = tail[j++]
    this.main = out
    return out
  }

  /** Index of the first item whose key is greater than `key` (or >= when `inclusive`). */
  static lowerBound<T extends Keyed>(items: T[], key: Keyed, inclusive: boolean): number {
    let lo = 0
    let hi = items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const c = compareKeys(items[mid], key)
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
