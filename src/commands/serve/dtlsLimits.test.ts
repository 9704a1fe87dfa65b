import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { addDtlsLimitOptions, parseDtlsLimits } from './dtlsLimits.js'

const parsed = (...args: string[]) => parseDtlsLimits(addDtlsLimitOptions(new Command().exitOverride()).parse(args, { from: 'user' }).opts())

describe('DTLS limit options', () => {
  it('leaves MAC-then-encrypt to the transport default (off) unless --dtls-mac-then-encrypt turns it on', () => {
    expect(parsed()).toEqual({})
    expect(parsed('--dtls-mac-then-encrypt')).toEqual({ cbcMacThenEncrypt: true })
  })

  it('passes the numeric limits on, the idle time in ms', () => {
    expect(parsed('--dtls-max-sessions', '5', '--dtls-session-idle', '2')).toEqual({ maxSessions: 5, sessionIdleTimeoutMs: 2000 })
  })
})
