import type { Address, Hex, PublicClient } from 'viem'
import { userStoreAbi } from '../generated/contracts.js'
import { usernameHash } from '../hashes.js'
import type { OnChainUserRecord } from '../records/userRecord.js'
import { revertOf, toChainError } from '../toChainError.js'

/** A user's current full record (from its latest event) with version and time. */
export interface UserRecordRead {
  record: OnChainUserRecord
  version: number
  updatedAt: number
  block: bigint
}

/**
 * Reads a user's current record: the entry from UserStore, the record from the latest
 * UserAdded/UserUpdated event with that version. Undefined when the user does not exist.
 */
export async function readUserRecord(
  client: PublicClient,
  p: { userStore: Address; username: string; deployBlock: bigint; rpcUrl?: string },
): Promise<UserRecordRead | undefined> {
  const hash = usernameHash(p.username)
  let entry: { version: bigint; updatedAt: bigint }
  try {
    entry = (await client.readContract({ address: p.userStore, abi: userStoreAbi, functionName: 'getUser', args: [hash] } as never)) as never
  } catch (err) {
    if (revertOf(err)?.errorName === 'UserNotFound') return undefined
    throw toChainError(err, { rpcUrl: p.rpcUrl, username: p.username })
  }
  try {
    const logs = (
      await Promise.all(
        (['UserAdded', 'UserUpdated'] as const).map((eventName) =>
          client.getContractEvents({ address: p.userStore, abi: userStoreAbi, eventName, args: { usernameHash: hash }, fromBlock: p.deployBlock } as never),
        ),
      )
    ).flat() as unknown as { args: { version: bigint; record: OnChainUserRecord & { role: number } }; blockNumber: bigint; logIndex: number }[]
    logs.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
    const match = logs.filter((l) => l.args.version === entry.version).pop()
    if (!match) return undefined
    const r = match.args.record
    const record: OnChainUserRecord = { username: r.username, role: Number(r.role), emailHash: r.emailHash as Hex, emailSealed: r.emailSealed, passwordSealed: r.passwordSealed }
    return { record, version: Number(entry.version), updatedAt: Number(entry.updatedAt), block: match.blockNumber }
  } catch (err) {
    throw toChainError(err, { rpcUrl: p.rpcUrl, username: p.username })
  }
}
