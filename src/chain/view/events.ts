import type { Hex } from 'viem'

/** On-chain ClientRecord struct as decoded from an event. */
export interface ClientRecordArgs {
  endpoint: string
  bootstrapUri: string
  bootstrapIdentity: string
  bootstrapKeySealed: Hex
  serverUri: string
  serverIdentity: string
  serverKeySealed: Hex
}

/** On-chain UserRecord struct as decoded from an event. */
export interface UserRecordArgs {
  username: string
  role: number
  emailHash: Hex
  emailSealed: Hex
  passwordSealed: Hex
}

/** A ClientStore / UserStore event, decoded and reduced to what the view needs. */
export type StoreEvent =
  | { type: 'ClientAdded' | 'ClientUpdated'; endpointHash: Hex; version: number; record: ClientRecordArgs; block: bigint; logIndex: number }
  | { type: 'ClientRemoved'; endpointHash: Hex; version: number; block: bigint; logIndex: number }
  | { type: 'UserAdded' | 'UserUpdated'; usernameHash: Hex; version: number; record: UserRecordArgs; block: bigint; logIndex: number }
  | { type: 'UserRemoved'; usernameHash: Hex; version: number; block: bigint; logIndex: number }
