import jsSha3 from 'js-sha3'
import { parseSignature, serializeTransaction, type Account, type Hash, type Hex, type TransactionSerializableEIP1559 } from 'viem'

/** A signed EIP-1559 transaction: its bytes and its hash. */
export interface SignedTransaction {
  raw: Hex
  hash: Hash
}

const keccakHex = (hex: Hex): Hash => `0x${jsSha3.keccak256(Buffer.from(hex.slice(2), 'hex'))}`

/**
 * Signs an EIP-1559 transaction as `account.signTransaction` does, byte for byte, but hashes with
 * js-sha3. viem's own keccak256 spent 1.8 s of every 13 s of the anomaly ledger at 5,000
 * anomalies/s hashing 120 KiB anchor transactions (js-sha3 is about four times faster). An account
 * that cannot sign a bare hash (a JSON-RPC account) signs through viem as before.
 */
export async function signTransactionFast(account: Account, fields: TransactionSerializableEIP1559): Promise<SignedTransaction> {
  const tx = { ...fields, type: 'eip1559' } as const
  if (account.type === 'local' && account.sign) {
    const signature = await account.sign({ hash: keccakHex(serializeTransaction(tx)) })
    const raw = serializeTransaction(tx, parseSignature(signature))
    return { raw, hash: keccakHex(raw) }
  }
  if (!account.signTransaction) throw new Error('this account cannot sign transactions')
  const raw = await account.signTransaction(tx)
  return { raw, hash: keccakHex(raw) }
}
