import { createPublicClient, createWalletClient, http, keccak256, toBytes, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEPLOYER_KEY, startAnvil, type TestAnvil } from '../../test/helpers/anvil.js'
import { deployContracts } from './deployContracts.js'
import { anomalyStoreAbi, clientStoreAbi, userStoreAbi } from './generated/contracts.js'
import { generateSealingKeyPair, sealingKeyToHex } from './sealing.js'

let anvil: TestAnvil
beforeAll(async () => {
  anvil = await startAnvil()
})
afterAll(async () => {
  await anvil?.stop()
})

it('deploys the three stores with the sealing key, the deployer holding every role', async () => {
  const transport = http(anvil.rpcUrl)
  const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 50 }) as PublicClient
  const wallet = createWalletClient({ account: privateKeyToAccount(DEPLOYER_KEY), chain: foundry, transport })
  const kp = generateSealingKeyPair()
  const before = await publicClient.getBlockNumber()
  const d = await deployContracts(wallet, publicClient, { sealingPublicKey: kp.publicKey })

  expect(new Set([d.clientStore, d.userStore, d.anomalyStore]).size).toBe(3)
  expect(d.deployBlock).toBeGreaterThan(before)
  for (const address of [d.clientStore, d.userStore, d.anomalyStore]) {
    expect(await publicClient.getCode({ address })).toMatch(/^0x[0-9a-f]{100,}$/)
  }
  const key = sealingKeyToHex(kp.publicKey)
  expect(await publicClient.readContract({ address: d.clientStore, abi: clientStoreAbi, functionName: 'sealingPublicKey' })).toBe(key)
  expect(await publicClient.readContract({ address: d.userStore, abi: userStoreAbi, functionName: 'sealingPublicKey' })).toBe(key)
  const me = wallet.account.address
  const writer = keccak256(toBytes('WRITER_ROLE'))
  const poster = keccak256(toBytes('POSTER_ROLE'))
  const admin = `0x${'0'.repeat(64)}` as const
  for (const [address, abi, role] of [
    [d.clientStore, clientStoreAbi, writer],
    [d.userStore, userStoreAbi, writer],
    [d.anomalyStore, anomalyStoreAbi, poster],
  ] as const) {
    expect(await publicClient.readContract({ address, abi, functionName: 'hasRole', args: [role, me] } as never)).toBe(true)
    expect(await publicClient.readContract({ address, abi, functionName: 'hasRole', args: [admin, me] } as never)).toBe(true)
  }
  // a second deployment gets its own addresses (nonces are read fresh each time)
  const again = await deployContracts(wallet, publicClient, { sealingPublicKey: key })
  expect(again.clientStore).not.toBe(d.clientStore)
})

it('refuses a sealing key that is not 32 bytes', async () => {
  const transport = http(anvil.rpcUrl)
  const publicClient = createPublicClient({ chain: foundry, transport }) as PublicClient
  const wallet = createWalletClient({ account: privateKeyToAccount(DEPLOYER_KEY), chain: foundry, transport })
  await expect(deployContracts(wallet, publicClient, { sealingPublicKey: new Uint8Array(31) })).rejects.toThrow(/sealing public key must be 32 bytes/)
})
