/**
 * Copies bytes into a buffer of their own. Node hands out small Buffers as views of shared 8 KB
 * pool slabs, so a long-lived view (a session's key block, client random or last flight) would
 * keep a whole slab alive for as long as the session lives.
 */
export function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length)
  copy.set(bytes)
  return copy
}
