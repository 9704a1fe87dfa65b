import { execFile } from 'node:child_process'
import dgram from 'node:dgram'
import { createServer, type AddressInfo } from 'node:net'

/** A free TCP port on loopback (for a chain that must come back on the same URL). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** A port P with P and P+1 free for UDP (libcoap listens for DTLS on P+1). */
export async function freeUdpPortPair(): Promise<number> {
  for (;;) {
    const a = dgram.createSocket('udp4')
    await new Promise<void>((r) => a.bind(0, '127.0.0.1', r))
    const port = a.address().port
    const b = dgram.createSocket('udp4')
    const ok = await new Promise<boolean>((r) => {
      b.once('error', () => r(false))
      b.bind(port + 1, '127.0.0.1', () => r(true))
    })
    await new Promise<void>((r) => a.close(() => r()))
    if (ok) await new Promise<void>((r) => b.close(() => r()))
    if (ok && port < 65000) return port
  }
}

/**
 * Resolves once some process has a UDP socket bound to `port`, for tests that spawn a peer and
 * must not talk to it before it listens. Asks the kernel through `ss` (iproute2), whose port filter
 * runs in the kernel: reading /proc/net/udp instead scans every socket on the machine per look,
 * which took seconds while a load test held tens of thousands, and binding the port ourselves to
 * see EADDRINUSE could take it from the peer for a moment.
 */
export async function untilUdpBound(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const listed = await new Promise<string>((resolve) =>
      execFile('ss', ['-H', '-u', '-l', '-n', `sport = :${port}`], (err, stdout) => resolve(err ? '' : stdout)),
    )
    if (listed.trim() !== '') return
    if (Date.now() > deadline) throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
