import { createDtlsTransport } from '../../src/transport/dtls/index.js'
import pino from 'pino'
const logger = pino({ level: process.env.LVL ?? 'debug' }, pino.destination(2))
const t = createDtlsTransport({ port: Number(process.env.PORT ?? 0), logger, retransmitInitialMs: 300, pskLookup: async (id) => id === 'id' ? Buffer.from(process.env.KEY ?? 'secretkey') : undefined })
t.onDatagram((d) => { console.error('RECV', d.identity, JSON.stringify(Buffer.from(d.data).toString())); void t.send(d.peer, Buffer.concat([Buffer.from('echo:'), d.data])) })
t.onSessionEnd((p, id, r) => console.error('END', id, r))
const a = await t.listen()
console.log('PORT', a.port)
