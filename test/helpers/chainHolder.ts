/**
 * A child process for the chain-state lock test: starts the embedded chain on CHAIN_DIR (port 0),
 * prints `{"anvilPid":…,"rpcUrl":…}` and stays until killed. Killed with SIGKILL, it leaves its
 * detached anvil behind, as a crashed `lwchain dev` does.
 */
import { startEmbeddedChain } from '../../src/chain/anvil.js'

const chain = await startEmbeddedChain({ port: 0, dataDir: process.env.CHAIN_DIR!, stateIntervalSeconds: 1 })
process.stdout.write(`${JSON.stringify({ anvilPid: chain.pid, rpcUrl: chain.rpcUrl })}\n`)
setInterval(() => {}, 1 << 30)
