/**
 * A map whose entries all live for the same time. Since every entry has the same lifetime,
 * insertion order is expiry order, so expired entries are swept from the front on each write:
 * no timer per entry (a busy endpoint keeps tens of thousands of exchanges).
 *
 * Not lru-cache (with `ttl`), which does the same job: it allocates its arrays for `max` entries
 * up front. Each CoAP endpoint holds five of these maps (bounds 100,000 and 10,000), and a
 * simulated fleet runs one endpoint per device in one process: measured with lru-cache 11.5,
 * 13.3 MiB per endpoint before any entry, against 1.5 KiB for this map (Node 20, --expose-gc,
 * 200 endpoints), so 1,000 devices would need 13 GiB.
 */
export class ExpiringMap<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number }>()
  private nextSweep = 0
  constructor(
    private readonly ttlMs: number,
    private readonly maxSize = 100_000,
  ) {}

  get(key: K): V | undefined {
    const e = this.entries.get(key)
    if (!e) return undefined
    if (e.expires <= Date.now()) {
      this.entries.delete(key)
      return undefined
    }
    return e.value
  }

  set(key: K, value: V): void {
    this.sweep()
    this.entries.delete(key)
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs })
    // Over capacity: forget the oldest rather than grow without bound under a flood.
    if (this.entries.size > this.maxSize) {
      const first = this.entries.keys().next()
      if (!first.done) this.entries.delete(first.value)
    }
  }

  delete(key: K): void {
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }

  clear(): void {
    this.entries.clear()
  }

  private sweep(): void {
    const now = Date.now()
    // At most a few sweeps per lifetime: a hot path should not walk the map on every write.
    if (now < this.nextSweep) return
    this.nextSweep = now + Math.min(1000, this.ttlMs / 4)
    for (const [k, e] of this.entries) {
      if (e.expires > now) break
      this.entries.delete(k)
    }
  }
}
