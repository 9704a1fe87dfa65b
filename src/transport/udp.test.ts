import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '../logger.js'
import type { InboundDatagram } from './types.js'
import { createUdpTransport, TransportNotListeningError } from './udp.js'

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((t) => t.close()))
})

function given() {
  const t = createUdpTransport({ logger: silentLogger() })
  open.push(t)
  return t
}

describe('UDP transport', () => {
  it('binds 127.0.0.1 on a free port and carries datagrams without identity', async () => {
    const a = given()
    const b = given()
    const aAddr = await a.listen()
    const bAddr = await b.listen()
    expect(aAddr.address).toBe('127.0.0.1')
    expect(aAddr.port).toBeGreaterThan(0)
    const got = new Promise<InboundDatagram>((resolve) => b.onDatagram(resolve))
    await a.send(bAddr, Uint8Array.from([1, 2, 3]))
    const d = await got
    expect([...d.data]).toEqual([1, 2, 3])
    expect(d.peer).toEqual(aAddr)
    expect(d.identity).toBeUndefined()
  })

  it('keeps delivering when a datagram handler throws', async () => {
    const a = given()
    const b = given()
    await a.listen()
    const bAddr = await b.listen()
    let calls = 0
    b.onDatagram(() => {
      calls++
      throw new Error('handler bug')
    })
    const second = new Promise<void>((resolve) => b.onDatagram(() => calls === 2 && resolve()))
    await a.send(bAddr, Uint8Array.from([1]))
    await a.send(bAddr, Uint8Array.from([2]))
    await second
    expect(calls).toBe(2)
  })

  it('refuses address() and send() before listen and after close', async () => {
    const t = given()
    expect(() => t.address()).toThrow(TransportNotListeningError)
    await expect(t.send({ address: '127.0.0.1', port: 9 }, new Uint8Array(1))).rejects.toBeInstanceOf(TransportNotListeningError)
    await t.listen()
    await t.close()
    expect(() => t.address()).toThrow(TransportNotListeningError)
  })
})
