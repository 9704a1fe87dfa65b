/**
 * The contracts' record structs, taken from the generated ABIs (src/chain/generated/contracts.ts,
 * compiled from contracts/*.sol) rather than copied by hand: the `addClient` / `addUser` /
 * `verifyRecord` parameter is the struct as Solidity declares it, and its TypeScript type is derived from it (viem's
 * abitype). A field added to the contract changes both the encoding and the type, so a record
 * that misses it no longer compiles.
 */
import type { AbiParameterToPrimitiveType } from 'viem'
import { anomalyStoreAbi, clientStoreAbi, userStoreAbi } from '../generated/contracts.js'

type FunctionOf<abi extends readonly unknown[], name extends string> = Extract<abi[number], { type: 'function'; name: name }>

function functionOf<const abi extends readonly { type: string; name?: string }[], name extends string>(abi: abi, name: name): FunctionOf<abi, name> {
  const item = abi.find((i) => i.type === 'function' && i.name === name)
  if (item === undefined) throw new Error(`the generated ABI has no function ${name}`)
  return item as FunctionOf<abi, name>
}

/** ClientStore's `ClientRecord` struct (the parameter of `addClient`). */
export const clientRecordParameter = functionOf(clientStoreAbi, 'addClient').inputs[0]

/** UserStore's `UserRecord` struct (the parameter of `addUser`). */
export const userRecordParameter = functionOf(userStoreAbi, 'addUser').inputs[0]

/** AnomalyStore's `AnomalyRecord` struct (the record parameter of `verifyRecord`). */
export const anomalyRecordParameter = functionOf(anomalyStoreAbi, 'verifyRecord').inputs[1]

/** The ClientStore struct: keys sealed, everything else public. */
export type OnChainClientRecord = AbiParameterToPrimitiveType<typeof clientRecordParameter>

/** The UserStore struct: e-mail and password verifier sealed, e-mail also as a hash for lookups. */
export type OnChainUserRecord = AbiParameterToPrimitiveType<typeof userRecordParameter>
