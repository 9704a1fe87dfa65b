import type { FastifyInstance } from 'fastify'
import { addClient } from '../../chain/clients/addClient.js'
import { readClientRecord } from '../../chain/clients/readClientRecord.js'
import { removeClient } from '../../chain/clients/removeClient.js'
import { updateClient } from '../../chain/clients/updateClient.js'
import { ClientNotFoundError } from '../../chain/errors.js'
import { readSealingPublicKey } from '../../chain/keys/readSealingPublicKey.js'
import { provisionClients, type ProvisionRow } from '../../chain/clients/provisionClients.js'
import { buildClientSpec, sealClientRecords, type ClientInput } from '../../chain/records/clientRecord.js'
import { InvalidInputError, validateCoapUri, validateText } from '../../chain/records/validate.js'
import { checkEndpointName, describeEndpointNameProblem, endpointNameProblem } from '../../lwm2m/endpoint-name.js'
import { apiErrorHandler } from '../auth/httpErrors.js'
import { authErrorResponses, bearerSecurity, errorSchema } from '../auth/schemas.js'
import { requireRole } from '../plugin-auth.js'
import { adminDeployment, requireWriter, sealerOf, writerOf, type AdminRoutesDeps } from './admin-context.js'

export type { AdminRoutesDeps } from './admin-context.js'

const sideSchema = {
  type: 'object',
  required: ['uri', 'identity', 'key'],
  properties: { uri: { type: 'string' }, identity: { type: 'string' }, key: { type: 'string', description: 'PSK as hex (shown once)' } },
} as const
const endpointParams = { type: 'object', required: ['endpoint'], properties: { endpoint: { type: 'string', minLength: 1, maxLength: 255 } } } as const
const writeErrors = { ...authErrorResponses, 404: errorSchema, 409: errorSchema, 503: errorSchema, 504: errorSchema } as const

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** The body of POST /api/admin/clients, one device. */
const clientInputSchema = {
  type: 'object',
  required: ['endpoint'],
  properties: {
    endpoint: { type: 'string', minLength: 1, maxLength: 255 },
    bootstrapUri: { type: 'string' },
    serverUri: { type: 'string' },
    bsIdentity: { type: 'string' },
    bsKey: { type: 'string', description: 'hex' },
    serverIdentity: { type: 'string' },
    serverKey: { type: 'string', description: 'hex' },
    printableKeys: { type: 'boolean' },
  },
} as const
/** Rows per bulk import request (as many as `client import` is measured with). */
export const MAX_IMPORT_ROWS = 10_000
const importRowSchema = {
  type: 'object',
  required: ['row', 'endpoint', 'status', 'bootstrap', 'server'],
  properties: {
    row: { type: 'integer' },
    endpoint: { type: 'string' },
    status: { type: 'string', enum: ['landed', 'failed'] },
    already: { type: 'boolean' },
    txHash: { type: 'string' },
    error: { type: 'string' },
    bootstrap: sideSchema,
    server: sideSchema,
  },
} as const

/**
 * Device management for admins, written on chain with the same bindings and validation as
 * `lwchain client add|remove|move`: POST /api/admin/clients, DELETE /api/admin/clients/{endpoint},
 * POST /api/admin/clients/{endpoint}/move.
 */
export function registerAdminClientRoutes(app: FastifyInstance, deps: AdminRoutesDeps): void {
  const deployment = adminDeployment(deps)
  const clientStore = deployment.contracts.clientStore
  const visible = (block: bigint) => deps.view.waitForBlock(block, deps.viewTimeoutMs)
  const admin = requireRole('admin')
  // The key on chain at each write: the server may outlive a `keys rotate`.
  const sealingKey = () => readSealingPublicKey(writerOf(deps).publicClient, { clientStore, rpcUrl: writerOf(deps).rpcUrl })
  // Writes need the writer key too; without it they answer 403 saying so (listings still work).
  const adminWriter = [admin, requireWriter(deps)]

  app.post<{ Body: ClientInput }>(
    '/api/admin/clients',
    {
      onRequest: adminWriter,
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'Register a device on chain; generated identities and keys are returned once (like `client add --json`)',
        tags: ['admin'],
        security: bearerSecurity,
        body: clientInputSchema,
        response: {
          201: { type: 'object', required: ['endpoint', 'bootstrap', 'server', 'txHash'], properties: { endpoint: { type: 'string' }, bootstrap: sideSchema, server: sideSchema, txHash: { type: 'string' } } },
          ...writeErrors,
        },
      },
    },
    async (request, reply) => {
      checkEndpointName(request.body.endpoint, (m) => new InvalidInputError(m))
      const { spec } = buildClientSpec(request.body)
      const [record] = await sealClientRecords([spec], await sealingKey(), sealerOf(deps))
      const { txHash, block } = await addClient(writerOf(deps), { clientStore, record })
      await visible(block)
      request.log.info({ endpoint: spec.endpoint, by: request.auth?.username, txHash }, 'client added')
      return reply.code(201).send({
        endpoint: spec.endpoint,
        bootstrap: { uri: spec.bootstrap.uri, identity: spec.bootstrap.identity, key: hex(spec.bootstrap.key) },
        server: { uri: spec.server.uri, identity: spec.server.identity, key: hex(spec.server.key) },
        txHash,
      })
    },
  )

  app.post<{ Body: { rows: ClientInput[]; printableKeys?: boolean } }>(
    '/api/admin/clients/import',
    {
      onRequest: adminWriter,
      errorHandler: apiErrorHandler,
      // 10,000 rows with given keys are about 3 MB of JSON.
      bodyLimit: 8 * 1024 * 1024,
      schema: {
        summary: 'Register many devices at once (like `client import`): every row is checked before anything is sent; the report says which rows landed, with keys shown once',
        tags: ['admin'],
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['rows'],
          properties: { rows: { type: 'array', minItems: 1, maxItems: MAX_IMPORT_ROWS, items: clientInputSchema }, printableKeys: { type: 'boolean' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['total', 'landed', 'failed', 'already', 'batches', 'elapsedMs', 'rows'],
            properties: {
              total: { type: 'integer' },
              landed: { type: 'integer' },
              failed: { type: 'integer' },
              already: { type: 'integer' },
              batches: { type: 'integer' },
              elapsedMs: { type: 'integer' },
              rows: { type: 'array', items: importRowSchema },
            },
          },
          ...writeErrors,
        },
      },
    },
    async (request) => {
      // The LwM2M endpoint-name rule, per row (chain/ does not import lwm2m/): a bad name is an invalid row.
      const rows: ProvisionRow[] = request.body.rows.map((input, i) => {
        const problem = endpointNameProblem(input.endpoint)
        return problem ? { row: i + 1, error: describeEndpointNameProblem(input.endpoint, problem) } : { row: i + 1, input }
      })
      const report = await provisionClients(writerOf(deps), {
        ...deployment.contracts,
        deployBlock: BigInt(deployment.deployBlock),
        sealingPublicKey: await sealingKey(),
        rows,
        printableKeys: request.body.printableKeys,
        // Thousands of seals: off the event loop when the daemon gave its pool.
        sealer: sealerOf(deps),
      })
      // Every landed batch is mined by now: once the view has the current block, it has them all.
      // Not viem's cached block number (kept for its polling interval, 4 s): the view would be
      // waited for at a block before the last batches, and the answer would outrun it.
      if (report.landed > report.already) await visible(await writerOf(deps).publicClient.getBlockNumber({ cacheTime: 0 }))
      request.log.info({ total: report.total, landed: report.landed, failed: report.failed, by: request.auth?.username }, 'clients imported')
      return report
    },
  )

  app.delete<{ Params: { endpoint: string } }>(
    '/api/admin/clients/:endpoint',
    {
      onRequest: adminWriter,
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'Remove a device from the chain (revoked everywhere)',
        tags: ['admin'],
        security: bearerSecurity,
        params: endpointParams,
        response: { 200: { type: 'object', required: ['endpoint', 'txHash'], properties: { endpoint: { type: 'string' }, txHash: { type: 'string' } } }, ...writeErrors },
      },
    },
    async (request) => {
      const endpoint = validateText(request.params.endpoint, 'endpoint name')
      const { txHash, block } = await removeClient(writerOf(deps), { clientStore, endpoint })
      await visible(block)
      request.log.info({ endpoint, by: request.auth?.username, txHash }, 'client removed')
      return { endpoint, txHash }
    },
  )

  app.post<{ Params: { endpoint: string }; Body: { serverUri?: string; bootstrapUri?: string } }>(
    '/api/admin/clients/:endpoint/move',
    {
      onRequest: adminWriter,
      errorHandler: apiErrorHandler,
      schema: {
        summary: 'Re-home a device: point its record at another LwM2M server (and/or bootstrap server)',
        tags: ['admin'],
        security: bearerSecurity,
        params: endpointParams,
        body: {
          type: 'object',
          anyOf: [{ required: ['serverUri'] }, { required: ['bootstrapUri'] }],
          properties: { serverUri: { type: 'string', minLength: 1 }, bootstrapUri: { type: 'string', minLength: 1 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['endpoint', 'serverUri', 'bootstrapUri', 'version', 'txHash'],
            properties: { endpoint: { type: 'string' }, serverUri: { type: 'string' }, bootstrapUri: { type: 'string' }, version: { type: 'integer' }, txHash: { type: 'string' } },
          },
          ...writeErrors,
        },
      },
    },
    async (request) => {
      const endpoint = validateText(request.params.endpoint, 'endpoint name')
      const { serverUri, bootstrapUri } = request.body
      const newServer = serverUri !== undefined ? validateCoapUri(serverUri, 'server URI') : undefined
      const newBootstrap = bootstrapUri !== undefined ? validateCoapUri(bootstrapUri, 'bootstrap URI') : undefined
      // The chain keeps only a commitment: the full record (sealed keys kept as they are) comes from its latest event.
      const current = await readClientRecord(writerOf(deps).publicClient, { clientStore, endpoint, deployBlock: BigInt(deployment.deployBlock), rpcUrl: writerOf(deps).rpcUrl })
      if (!current) throw new ClientNotFoundError(endpoint)
      const record = { ...current.record, serverUri: newServer ?? current.record.serverUri, bootstrapUri: newBootstrap ?? current.record.bootstrapUri }
      const { txHash, block } = await updateClient(writerOf(deps), { clientStore, record })
      await visible(block)
      request.log.info({ endpoint, serverUri: record.serverUri, by: request.auth?.username, txHash }, 'client moved')
      return { endpoint, serverUri: record.serverUri, bootstrapUri: record.bootstrapUri, version: current.version + 1, txHash }
    },
  )
}
