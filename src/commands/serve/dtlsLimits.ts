import type { Command } from 'commander'
import type { DaemonTransportLimits } from '../../daemons/transport.js'
import { positiveInt } from '../lib/commandOptions.js'

/** The DTLS limit options both `serve` daemons take, as commander parsed them. */
export interface DtlsLimitOptions {
  dtlsMaxSessions?: string
  dtlsMaxHandshakes?: string
  dtlsHandshakesPerAddress?: string
  dtlsSessionsPerIdentity?: string
  dtlsSessionIdle?: string
  /** True with --dtls-mac-then-encrypt. */
  dtlsMacThenEncrypt?: boolean
}

/**
 * Adds the DTLS server's resource limits to a `serve` command. No commander defaults: an option
 * left out keeps the transport's own default (named in the help), so there is one source of truth.
 */
export function addDtlsLimitOptions(cmd: Command): Command {
  return cmd
    .option('--dtls-max-sessions <n>', 'most established DTLS sessions (default 10000)')
    .option('--dtls-max-handshakes <n>', 'most DTLS handshakes in progress after the cookie exchange (default 1000)')
    .option('--dtls-handshakes-per-address <n>', 'most handshakes in progress from one IP address (default 100)')
    .option('--dtls-sessions-per-identity <n>', 'sessions one PSK identity may hold; a newer one replaces the oldest (default 1)')
    .option('--dtls-session-idle <seconds>', 'drop a DTLS session that received nothing for this long (default 1800)')
    .option('--dtls-mac-then-encrypt', 'also accept CBC with MAC-then-encrypt from a client without encrypt_then_mac (RFC 7366); by default such a client gets CCM_8 only')
}

/** The limits to hand createDaemonTransport; a malformed value is a usage error. */
export function parseDtlsLimits(o: DtlsLimitOptions): DaemonTransportLimits {
  const int = (value: string | undefined, name: string) => (value === undefined ? undefined : positiveInt(value, name, 0))
  const idleS = int(o.dtlsSessionIdle, '--dtls-session-idle')
  const limits: DaemonTransportLimits = {
    maxSessions: int(o.dtlsMaxSessions, '--dtls-max-sessions'),
    maxHandshakes: int(o.dtlsMaxHandshakes, '--dtls-max-handshakes'),
    maxHandshakesPerAddress: int(o.dtlsHandshakesPerAddress, '--dtls-handshakes-per-address'),
    maxSessionsPerIdentity: int(o.dtlsSessionsPerIdentity, '--dtls-sessions-per-identity'),
    sessionIdleTimeoutMs: idleS === undefined ? undefined : idleS * 1000,
    cbcMacThenEncrypt: o.dtlsMacThenEncrypt === true ? true : undefined,
  }
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as DaemonTransportLimits
}
