import type { Hex } from 'viem'
import type { OnChainClientRecord } from '../records/clientRecord.js'
import type { OnChainUserRecord } from '../records/userRecord.js'

/** A ClientStore / UserStore event, decoded and reduced to what the view needs. */
export type StoreEvent =
  | { type: 'ClientAdded' | 'ClientUpdated'; endpointHash: Hex; version: number; record: OnChainClientRecord; block: bigint; logIndex: number }
  | { type: 'ClientRemoved'; endpointHash: Hex; version: number; block: bigint; logIndex: number }
  | { type: 'UserAdded' | 'UserUpdated'; usernameHash: Hex; version: number; record: OnChainUserRecord; block: bigint; logIndex: number }
  | { type: 'UserRemoved'; usernameHash: Hex; version: number; block: bigint; logIndex: number }
  /** `keys rotate` set a new sealing public key on ClientStore or UserStore. */
  | { type: 'SealingKeyChanged'; publicKey: Hex; version: number; block: bigint; logIndex: number }
