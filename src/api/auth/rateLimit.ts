/**
 * The login rate limiter: failed logins counted per account and per client address in fixed
 * windows, a success clearing the account's count.
 *
 * Not @fastify/rate-limit: it counts every request under one key per route, before the body is
 * read; a login limit needs two keys at once (the account from the body, and the address), must
 * count failures only (a user who types the right password is never throttled by their own
 * earlier successes), and must forget an account's failures on success. That is the 60 lines
 * below, bounded in memory (oldest keys dropped past maxEntries).
 */
/** Limits of the login rate limiter. */
export interface LoginRateLimitOptions {
  /** Failed logins per account per window. Default 5. */
  perAccount?: number
  /** Failed logins per client address per window. Default 20. */
  perAddress?: number
  /** Window length. Default 60,000 ms. */
  windowMs?: number
  /** Most keys tracked per kind; the oldest are dropped beyond it (bounded memory). Default 10,000. */
  maxEntries?: number
  now?: () => number
}

/** Counts failed logins per account and per address in fixed windows. */
export interface LoginRateLimiter {
  /** Seconds to wait before trying again, or 0 when an attempt is allowed. */
  retryAfter(account: string, address: string): number
  /** Records a failed attempt against both keys. */
  failed(account: string, address: string): void
  /** Records a failed attempt against the address only (a name no account has). */
  failedAddress(address: string): void
  /** A successful login clears the account's failures (not the address's). */
  succeeded(account: string): void
  /** Keys tracked (for tests of the bound). */
  size(): { accounts: number; addresses: number }
}

interface Window {
  count: number
  resetAt: number
}

/** Creates an in-memory login rate limiter (per process; bounded). */
export function createLoginRateLimiter(o: LoginRateLimitOptions = {}): LoginRateLimiter {
  const perAccount = o.perAccount ?? 5
  const perAddress = o.perAddress ?? 20
  const windowMs = o.windowMs ?? 60_000
  const maxEntries = o.maxEntries ?? 10_000
  const now = o.now ?? Date.now
  const accounts = new Map<string, Window>()
  const addresses = new Map<string, Window>()

  const current = (map: Map<string, Window>, key: string): Window | undefined => {
    const w = map.get(key)
    if (w && w.resetAt <= now()) {
      map.delete(key)
      return undefined
    }
    return w
  }
  const bump = (map: Map<string, Window>, key: string): void => {
    const w = current(map, key)
    if (w) {
      w.count++
      return
    }
    // Maps iterate in insertion order: the first keys are the oldest windows.
    while (map.size >= maxEntries) map.delete(map.keys().next().value as string)
    map.set(key, { count: 1, resetAt: now() + windowMs })
  }
  const wait = (w: Window | undefined, limit: number): number => (w && w.count >= limit ? Math.max(1, Math.ceil((w.resetAt - now()) / 1000)) : 0)
  // Usernames are case-sensitive on chain but e-mails are not; folding both only makes the limit stricter.
  const norm = (account: string): string => account.trim().toLowerCase()

  return {
    retryAfter(account, address) {
      return Math.max(wait(current(accounts, norm(account)), perAccount), wait(current(addresses, address), perAddress))
    },
    failed(account, address) {
      bump(accounts, norm(account))
      bump(addresses, address)
    },
    failedAddress(address) {
      bump(addresses, address)
    },
    succeeded(account) {
      accounts.delete(norm(account))
    },
    size: () => ({ accounts: accounts.size, addresses: addresses.size }),
  }
}
