/**
 * Associated data bound into each sealed secret, so a sealed value cannot be moved to another
 * record or field: a key sealed for endpoint A's bootstrap side does not open as B's, or as A's
 * server side. Writers (commands) and readers (ChainView, daemons) must use the same strings.
 */

/** Context of a client's sealed PSK. */
export function clientKeyContext(endpoint: string, side: 'bootstrap' | 'server'): string {
  return `lwchain:client:${side}-psk:${endpoint}`
}

/** Context of a user's sealed e-mail address. */
export function userEmailContext(username: string): string {
  return `lwchain:user:email:${username}`
}

/** Context of a user's sealed password verifier. */
export function userPasswordContext(username: string): string {
  return `lwchain:user:password:${username}`
}
