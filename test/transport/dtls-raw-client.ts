/**
 * A hand-driven DTLS 1.2 PSK client for lock-step tests: it lets a test fragment, reorder, drop,
 * replay and capture records, which no real client allows. It reuses the server's codec pieces,
 * so on its own it proves nothing about interoperability (the interop tests do that).
 */
import dgram from 'node:dgram'
import { randomBytes } from 'node:crypto'
import type { PeerAddress } from '../../src/transport/types.js'
import { CipherSuite, keyBlockLength, serverCiphers, type CipherSuiteId, type RecordCipher } from '../../src/transport/dtls/cipher.js'
import { HandshakeType, parseHandshakeFragments, serializeHandshake, HANDSHAKE_HEADER_LENGTH } from '../../src/transport/dtls/handshake.js'
import { extendedMasterSecret, keyBlock, masterSecret, pskPremasterSecret, transcriptHash, verifyData } from '../../src/transport/dtls/prf.js'
import { ContentType, DTLS_1_2, parseRecords, serializeRecord, type DtlsRecord } from '../../src/transport/dtls/record.js'

export interface RawHandshakeOptions {
  /** A string is sent as its UTF-8 bytes. */
  identity: string | Uint8Array
  key: Uint8Array
  suites?: number[]
  ems?: boolean
  /** Offer encrypt_then_mac (RFC 7366). */
  encryptThenMac?: boolean
  /** Rewrites the records of the final flight (ClientKeyExchange..., ChangeCipherSpec, Finished) before they go out in one datagram. */
  editFinalFlight?: (records: Buffer[]) => Buffer[]
  /** Splits the final flight into datagrams as it likes (instead of one datagram). */
  finalFlightDatagrams?: (records: Buffer[]) => Buffer[][]
  /** Resend the final flight (fresh record numbers) when nothing came back after this long; default 300 ms. */
  retransmitFinalMs?: number
  /** Split ClientKeyExchange into fragments of this many body bytes, sent in reverse order. */
  fragmentClientKeyExchange?: number
  /** Send the flight as separate datagrams: Finished, then ClientKeyExchange, then ChangeCipherSpec. */
  reorderFinalFlight?: boolean
  /** Ignore the first ServerHello flight (as if lost) and wait for the retransmission. */
  dropFirstServerFlight?: boolean
}

export class RawDtlsClient {
  readonly sent: Buffer[] = []
  private readonly inbox: Buffer[] = []
  private waiter?: () => void
  private seq0 = 0
  private seq1 = 0
  private read?: RecordCipher
  private write?: RecordCipher
  private readonly readEpoch1: DtlsRecord[] = []
  /** True when the server's ServerHello echoed encrypt_then_mac. */
  encryptThenMac = false
  /** The server's answer to our final flight (ChangeCipherSpec + Finished). */
  serverFinalFlight?: Buffer

  private constructor(
    private readonly socket: dgram.Socket,
    readonly server: PeerAddress,
  ) {
    socket.on('message', (msg) => {
      this.inbox.push(msg)
      this.waiter?.()
    })
  }

  /** Opens a socket on loopback. */
  static async open(server: PeerAddress, localAddress = '127.0.0.1'): Promise<RawDtlsClient> {
    const socket = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => socket.bind(0, localAddress, resolve))
    return new RawDtlsClient(socket, server)
  }

  get port(): number {
    return this.socket.address().port
  }

  /** Sends one datagram as is (and remembers it). */
  send(datagram: Buffer): void {
    this.sent.push(datagram)
    this.socket.send(datagram, this.server.port, this.server.address)
  }

  /** Waits for the next datagram from the server; rejects after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs
    while (this.inbox.length === 0) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('no datagram from the server')
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiter = () => {
          clearTimeout(t)
          resolve()
        }
      })
      this.waiter = undefined
    }
    return this.inbox.shift()!
  }

  /** True when nothing arrives within `ms`. */
  async silent(ms: number): Promise<boolean> {
    try {
      await this.next(ms)
      return false
    } catch {
      return true
    }
  }

  /** A plaintext epoch-0 record. */
  plain(type: number, fragment: Uint8Array): Buffer {
    return serializeRecord({ type, version: DTLS_1_2, epoch: 0, seq: this.seq0++, fragment })
  }

  /** A protected epoch-1 record. */
  protect(type: number, plaintext: Uint8Array): Buffer {
    const seq = this.seq1++
    return serializeRecord({ type, version: DTLS_1_2, epoch: 1, seq, fragment: this.write!.encrypt(type, DTLS_1_2, 1, seq, plaintext) })
  }

  /** Builds a ClientHello body. */
  static clientHello(random: Uint8Array, cookie: Uint8Array, suites: number[], ems: boolean, etm = false): Buffer {
    const suiteBytes = Buffer.alloc(2 + suites.length * 2)
    suiteBytes.writeUInt16BE(suites.length * 2)
    suites.forEach((s, i) => suiteBytes.writeUInt16BE(s, 2 + i * 2))
    const exts = Buffer.concat([ems ? Buffer.from([0x00, 0x17, 0x00, 0x00]) : Buffer.alloc(0), etm ? Buffer.from([0x00, 0x16, 0x00, 0x00]) : Buffer.alloc(0)])
    const ext = exts.length === 0 ? exts : Buffer.concat([Buffer.from([exts.length >> 8, exts.length & 0xff]), exts])
    return Buffer.concat([Buffer.from([0xfe, 0xfd]), random, Buffer.from([0]), Buffer.from([cookie.length]), cookie, suiteBytes, Buffer.from([1, 0]), ext])
  }

  /** Runs the full handshake; resolves with the chosen suite once the server Finished verified. */
  async handshake(o: RawHandshakeOptions): Promise<CipherSuiteId> {
    const suites = o.suites ?? [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8, CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256]
    const ems = o.ems ?? true
    const etm = o.encryptThenMac ?? false
    const random = randomBytes(32)
    this.send(this.plain(ContentType.handshake, serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: 0, body: RawDtlsClient.clientHello(random, Buffer.alloc(0), suites, ems, etm) })))
    const hvr = this.handshakeMessages(await this.next())[0]
    if (hvr?.msgType !== HandshakeType.helloVerifyRequest) throw new Error('expected HelloVerifyRequest')
    const cookie = hvr.body.subarray(3, 3 + hvr.body[2])
    const ch2 = serializeHandshake({ msgType: HandshakeType.clientHello, messageSeq: 1, body: RawDtlsClient.clientHello(random, cookie, suites, ems, etm) })
    const transcript: Buffer[] = [ch2]
    this.send(this.plain(ContentType.handshake, ch2))
    if (o.dropFirstServerFlight) await this.next()
    const flight = this.handshakeMessages(await this.next())
    if (flight[0]?.msgType !== HandshakeType.serverHello) throw new Error(`expected ServerHello, got ${flight[0]?.msgType}`)
    const sh = flight[0].body
    const serverRandom = sh.subarray(2, 34)
    const suite = sh.readUInt16BE(35 + sh[34]) as CipherSuiteId
    this.encryptThenMac = serverHelloExtensions(sh).has(0x0016)
    for (const m of flight) transcript.push(serializeHandshake(m))
    const identity = typeof o.identity === 'string' ? Buffer.from(o.identity, 'utf8') : Buffer.from(o.identity)
    const cke = serializeHandshake({ msgType: HandshakeType.clientKeyExchange, messageSeq: 2, body: Buffer.concat([Buffer.from([identity.length >> 8, identity.length & 0xff]), identity]) })
    transcript.push(cke)
    const premaster = pskPremasterSecret(o.key)
    const master = ems ? extendedMasterSecret(premaster, transcriptHash(transcript)) : masterSecret(premaster, random, serverRandom)
    const ciphers = serverCiphers(suite, keyBlock(master, random, serverRandom, keyBlockLength(suite)), { encryptThenMac: this.encryptThenMac })
    this.write = ciphers.read
    this.read = ciphers.write
    const fin = serializeHandshake({ msgType: HandshakeType.finished, messageSeq: 3, body: verifyData(master, 'client finished', transcriptHash(transcript)) })
    transcript.push(fin)
    const sendFinalFlight = (): void => {
      // Built anew each time: a resent flight carries fresh record numbers (RFC 6347 4.2.4).
      const ckeRecords = o.fragmentClientKeyExchange ? this.fragmentRecords(cke, o.fragmentClientKeyExchange).reverse() : [this.plain(ContentType.handshake, cke)]
      const ccs = this.plain(ContentType.changeCipherSpec, Buffer.from([1]))
      const finRecord = this.protect(ContentType.handshake, fin)
      if (o.reorderFinalFlight) {
        this.send(finRecord)
        for (const r of ckeRecords) this.send(r)
        this.send(ccs)
      } else {
        const records = [...ckeRecords, ccs, finRecord]
        if (o.finalFlightDatagrams) for (const d of o.finalFlightDatagrams(records)) this.send(Buffer.concat(d))
        else this.send(Buffer.concat(o.editFinalFlight ? o.editFinalFlight(records) : records))
      }
    }
    sendFinalFlight()
    let answer: Buffer | undefined
    for (let attempt = 0; !answer; attempt++) {
      try {
        const d = await this.next(o.retransmitFinalMs ?? 300)
        // A late retransmission of the server's previous flight (epoch-0 handshake only) is not the answer.
        if (!parseRecords(d).every((r) => r.epoch === 0 && r.type === ContentType.handshake)) answer = d
      } catch (err) {
        if (attempt >= 5) throw err
        sendFinalFlight()
      }
    }
    this.serverFinalFlight = answer
    const reply = parseRecords(answer)
    const alert = reply.find((r) => r.type === ContentType.alert && r.epoch === 0)
    if (alert) throw new Error(`alert ${alert.fragment[1]}`)
    const serverFin = reply.find((r) => r.epoch === 1)
    if (!serverFin) throw new Error('no server Finished')
    const plain = this.read.decrypt(serverFin.type, serverFin.version, 1, serverFin.seq, serverFin.fragment)
    if (!plain) throw new Error('server Finished does not decrypt')
    const expected = verifyData(master, 'server finished', transcriptHash(transcript))
    if (!plain.subarray(HANDSHAKE_HEADER_LENGTH).equals(expected)) throw new Error('server Finished does not verify')
    return suite
  }

  /** Sends application data; returns the datagram (to replay it). */
  sendApp(data: Uint8Array): Buffer {
    const d = this.protect(ContentType.applicationData, data)
    this.send(d)
    return d
  }

  /** Next decrypted epoch-1 record of the given type from the server. */
  async receive(type: number = ContentType.applicationData, timeoutMs = 2000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const r = this.readEpoch1.shift() ?? (await this.nextEpoch1(deadline - Date.now()))
      if (!r) continue
      const plain = this.read!.decrypt(r.type, r.version, 1, r.seq, r.fragment)
      if (plain && r.type === type) return plain
    }
  }

  /** Decrypts one epoch-1 record from the server (undefined when it does not authenticate). */
  open(r: DtlsRecord): Buffer | undefined {
    return this.read!.decrypt(r.type, r.version, 1, r.seq, r.fragment)
  }

  close(): void {
    this.socket.close()
  }

  private async nextEpoch1(timeoutMs: number): Promise<DtlsRecord | undefined> {
    const records = parseRecords(await this.next(Math.max(1, timeoutMs))).filter((r) => r.epoch === 1)
    this.readEpoch1.push(...records)
    return this.readEpoch1.shift()
  }

  private handshakeMessages(datagram: Buffer) {
    return parseRecords(datagram)
      .filter((r) => r.type === ContentType.handshake && r.epoch === 0)
      .flatMap((r) => parseHandshakeFragments(r.fragment))
      .map((f) => ({ msgType: f.msgType, messageSeq: f.messageSeq, body: Buffer.from(f.body) }))
  }

  private fragmentRecords(message: Buffer, size: number): Buffer[] {
    const body = message.subarray(HANDSHAKE_HEADER_LENGTH)
    const out: Buffer[] = []
    for (let off = 0; off < body.length; off += size) {
      const part = body.subarray(off, off + size)
      const header = Buffer.from(message.subarray(0, HANDSHAKE_HEADER_LENGTH))
      header.writeUIntBE(off, 6, 3)
      header.writeUIntBE(part.length, 9, 3)
      out.push(this.plain(ContentType.handshake, Buffer.concat([header, part])))
    }
    return out
  }
}

/** The extension types of a ServerHello body. */
function serverHelloExtensions(sh: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>()
  let off = 35 + sh[34] + 3
  if (off + 2 > sh.length) return out
  const end = off + 2 + sh.readUInt16BE(off)
  off += 2
  while (off + 4 <= end) {
    const type = sh.readUInt16BE(off)
    const len = sh.readUInt16BE(off + 2)
    out.set(type, sh.subarray(off + 4, off + 4 + len))
    off += 4 + len
  }
  return out
}
