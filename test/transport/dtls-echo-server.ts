/**
 * A manual tool, not a test: a DTLS echo server on our transport for poking at it with real
 * clients. `PORT=5684 KEY=secretkey npx tsx test/transport/dtls-echo-server.ts`, then e.g.
 * `openssl s_client -dtls1_2 -connect 127.0.0.1:5684 -psk_identity id -psk $(printf secretkey | xxd -p)`.
 */
import pino from 'pino'
import { createDtlsTransport } from '../../src/transport/dtls/index.js'

const logger = pino({ level: process.env.LVL ?? 'debug' }, pino.destination(2))
const key = Buffer.from(process.env.KEY ?? 'secretkey')
const t = createDtlsTransport({
  port: Number(process.env.PORT ?? 0),
  logger,
  retransmitInitialMs: 300,
  pskLookup: async (id) => (id === (process.env.IDENTITY ?? 'id') ? key : undefined),
})
t.onDatagram((d) => {
  logger.info({ identity: d.identity, data: Buffer.from(d.data).toString() }, 'received')
  void t.send(d.peer, Buffer.concat([Buffer.from('echo:'), d.data]))
})
t.onSessionEnd((peer, identity, reason) => logger.info({ identity, reason }, 'session ended'))
const a = await t.listen()
console.log('PORT', a.port)
