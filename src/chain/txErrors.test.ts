import { describe, expect, it } from 'vitest'
import { InsufficientFundsError as ViemInsufficientFunds } from 'viem'
import { toChainError } from './toChainError.js'
import { classifyTxError } from './txErrors.js'

describe('classifyTxError', () => {
  it('tells the refusals of geth-class nodes, anvil and providers apart', () => {
    const cases: [string, ReturnType<typeof classifyTxError>][] = [
      ['oversized data: transaction size 140000, limit 131072', 'oversized'],
      ['insufficient funds for gas * price + value: balance 0, tx cost 123', 'insufficient-funds'],
      ['nonce too low: next nonce 7, tx nonce 5', 'nonce-too-low'],
      ['already known', 'already-known'],
      ['replacement transaction underpriced', 'underpriced'],
      ['max fee per gas less than block base fee', 'fee-too-low'],
      ['Too Many Requests: rate limit exceeded', 'rate-limited'],
      ['execution reverted', undefined],
    ]
    for (const [msg, kind] of cases) expect([msg, classifyTxError(new Error(msg))]).toEqual([msg, kind])
  })

  it('makes "insufficient funds" one clear line, whatever wraps it', () => {
    const e = toChainError(new ViemInsufficientFunds(), { account: '0x00000000000000000000000000000000000000aa' })
    expect(e.code).toBe('LWC_INSUFFICIENT_FUNDS')
    expect(e.shortMessage).toBe('the signer 0x00000000000000000000000000000000000000aa has insufficient funds for gas: fund it or use another key')
  })
})
