// Child process of bench/coldstart.ts: one chain-backed `serve server` start on a given config dir,
// timed until its first DTLS handshake is answered (a provisioned device's server credentials),
// printed as JSON on stdout. A fresh process per start, as an operator's restart is.
//   tsx bench/coldstart-child.ts <configDir> <rpc> <identity> <hexKey>
import { silentLogger } from '../src/logger.js'
import { runServeServer } from '../src/commands/serve/server.js'
import { createDtlsClientTransport } from '../src/transport/dtls/client.js'

const [configDir, rpc, identity, hexKey] = process.argv.slice(2)
const t0 = performance.now()
const srv = await runServeServer({ configDir, rpc, logger: silentLogger(), port: 0, httpPort: 0, console: false })
const listening = performance.now()
const peer = { address: '127.0.0.1', port: srv.address.port }
for (;;) {
  const t = createDtlsClientTransport({ peer, identity, key: Buffer.from(hexKey, 'hex'), timeoutMs: 10_000 })
  try {
    await t.listen()
    await t.close()
    break
  } catch {
    await t.close().catch(() => undefined)
  }
}
const answered = performance.now()
process.stdout.write(JSON.stringify({ listeningMs: Math.round(listening - t0), firstHandshakeMs: Math.round(answered - t0), clients: srv.view?.clients().length }) + '\n')
await srv.stop()
process.exit(0)
