/** libcoap's coap-client (a registration no one here wrote) against the server daemon. */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientRecord, givenServer, type GivenServer } from './server-helpers.js'

const run = promisify(execFile)
const dev = clientRecord('lib1')
const other = clientRecord('lib2')

for (const binary of ['coap-client-openssl', 'coap-client-gnutls']) {
  describe.skipIf(!existsSync(`/usr/bin/${binary}`))(`${binary} registering at the server daemon`, () => {
    let s: GivenServer
    beforeAll(async () => {
      s = await givenServer([dev, other])
    })
    afterAll(() => s.daemon.stop())

    /** Runs coap-client at debug level: the response header line names code and Location-Path. */
    const register = async (identity: string, key: string, query: string) => {
      const uri = `coaps://127.0.0.1:${s.address.port}/rd?${query}`
      const { stdout, stderr } = await run(binary, ['-v', '7', '-u', identity, '-k', key, '-m', 'post', '-t', '40', '-e', '</1/0>,</3/0>', uri], { timeout: 25_000 })
      return (stdout + stderr).split('\n').find((l) => /t:ACK c:\d\.\d\d/.test(l)) ?? ''
    }

    it('registers (2.01 with Location-Path rd/{id}) although coap-client adds Uri-Port', async () => {
      const line = await register('id-lib1', 'key-lib1', 'ep=lib1&lt=300&lwm2m=1.1&b=U')
      expect(line).toContain('c:2.01')
      const id = s.daemon.registrations.byEndpoint('lib1')!.id
      expect(line).toContain(`Location-Path:rd, Location-Path:${id}`)
    })

    it('cannot register another endpoint with its identity (4.03)', async () => {
      const line = await register('id-lib2', 'key-lib2', 'ep=lib1&lt=300&lwm2m=1.1&b=U')
      expect(line).toContain('c:4.03')
    })
  })
}
