import { lookup as dnsLookup } from 'node:dns'
import { isIP } from 'node:net'

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void

/**
 * The `lookup` of our UDP sockets. dgram resolves the destination of every send, and node's
 * default (dns.lookup) answers even an IP literal on the next tick: a closure, a tick and an
 * extra callback per datagram, about a third of a bare UDP echo's CPU. Every address we send to
 * is a literal (the source of a datagram we received, or a configured IP), so it is answered at
 * once; a host name still goes to dns.lookup.
 */
export function literalLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  const family = isIP(hostname)
  if (family !== 0) return callback(null, hostname, family)
  dnsLookup(hostname, options as number, callback)
}
