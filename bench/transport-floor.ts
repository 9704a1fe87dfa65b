/**
 * The floor of bench/transport.ts: the least a Node.js process can do to answer a CoAP GET over
 * UDP, in its own process. node:dgram, one socket, and per datagram only what makes the answer
 * valid CoAP: the ACK with the request's message id and token, Content-Format 0 and the same
 * payload as the other servers. No option parsing, no deduplication, no handler, no DTLS.
 * Whatever this costs per request is the runtime's, not lwchain's.
 */
import dgram from 'node:dgram'
import { literalLookup } from '../src/transport/literal-lookup.js'

const payload = Buffer.from('x'.repeat(Number(process.env.BENCH_PAYLOAD ?? 136)))
// The same literal lookup as our transport: without it node resolves every destination on the next tick.
const socket = dgram.createSocket({ type: 'udp4', lookup: literalLookup })
socket.on('message', (m, peer) => {
  if (m.length < 4 || m[0] >> 6 !== 1 || m[1] !== 1) return // CoAP version 1, a GET
  const tokenLength = m[0] & 0x0f
  const head = 4 + tokenLength
  const out = Buffer.allocUnsafe(head + 2 + payload.length)
  out[0] = 0x60 | tokenLength // version 1, ACK
  out[1] = 0x45 // 2.05 Content
  out[2] = m[2]
  out[3] = m[3]
  m.copy(out, 4, 4, head)
  out[head] = 0xc0 // option 12 (Content-Format), empty value: 0, text/plain
  out[head + 1] = 0xff
  payload.copy(out, head + 2)
  socket.send(out, peer.port, peer.address)
})
socket.bind(0, '127.0.0.1', () => process.send!({ type: 'ready', udpPort: socket.address().port }))
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') socket.close(() => process.exit(0))
})
