import { timingSafeEqual } from 'node:crypto'
import { keyBlockLength, serverCiphers } from './cipher.js'
import { HandshakeType, serializeHandshake, type HandshakeMessage } from './handshake.js'
import type { HandshakeState } from './handshake-state.js'
import { serializePskServerKeyExchange, serializeServerHello } from './hello.js'
import { extendedMasterSecret, keyBlock, masterSecret, pskPremasterSecret, transcriptHash, verifyData } from './prf.js'

/**
 * The server's second flight: ServerHello, [ServerKeyExchange with the identity hint],
 * ServerHelloDone. Numbers the messages and appends them to the transcript.
 */
export function serverHelloFlight(hs: HandshakeState, identityHint?: Uint8Array): Buffer[] {
  const messages: HandshakeMessage[] = [
    {
      msgType: HandshakeType.serverHello,
      messageSeq: hs.sendSeq++,
      body: serializeServerHello({
        random: hs.serverRandom,
        cipherSuite: hs.suite,
        extendedMasterSecret: hs.extendedMasterSecret,
        renegotiationInfo: hs.renegotiationInfo,
        encryptThenMac: hs.encryptThenMac,
      }),
    },
  ]
  if (identityHint) {
    messages.push({ msgType: HandshakeType.serverKeyExchange, messageSeq: hs.sendSeq++, body: serializePskServerKeyExchange(identityHint) })
  }
  messages.push({ msgType: HandshakeType.serverHelloDone, messageSeq: hs.sendSeq++, body: new Uint8Array(0) })
  const out = messages.map(serializeHandshake)
  hs.transcript.push(...out)
  return out
}

/**
 * Derives the master secret (extended when negotiated: RFC 7627, the session hash covering the
 * transcript through ClientKeyExchange) and the epoch-1 ciphers from the PSK.
 */
export function deriveKeys(hs: HandshakeState, psk: Uint8Array): void {
  const premaster = pskPremasterSecret(psk)
  hs.master = hs.extendedMasterSecret
    ? extendedMasterSecret(premaster, transcriptHash(hs.transcript))
    : masterSecret(premaster, hs.hello.random, hs.serverRandom)
  const block = keyBlock(hs.master, hs.hello.random, hs.serverRandom, keyBlockLength(hs.suite))
  const { read, write } = serverCiphers(hs.suite, block, { encryptThenMac: hs.encryptThenMac })
  hs.read = read
  hs.write = write
}

/** True when the client's verify_data matches the transcript so far (constant-time compare). */
export function clientFinishedValid(hs: HandshakeState, body: Uint8Array): boolean {
  const expected = verifyData(hs.master!, 'client finished', transcriptHash(hs.transcript))
  return body.length === expected.length && timingSafeEqual(expected, body)
}

/** Appends the client Finished to the transcript and builds our Finished message (with header). */
export function serverFinished(hs: HandshakeState, clientFinished: HandshakeMessage): Buffer {
  hs.transcript.push(serializeHandshake(clientFinished))
  return serializeHandshake({
    msgType: HandshakeType.finished,
    messageSeq: hs.sendSeq++,
    body: verifyData(hs.master!, 'server finished', transcriptHash(hs.transcript)),
  })
}
