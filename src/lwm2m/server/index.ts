/** The LwM2M server's protocol logic over abstract stores (no sockets). */
export { registeredInstances, registrationLocation, type Registration, type RegistrationVersion } from './registration.js'
export { createInMemoryRegistrationStore, type RegistrationStore } from './registration-store.js'
export { parseRegistrationParams, type RegistrationParams } from './registration-params.js'
export {
  createRegistrationHandler,
  type DeregistrationReason,
  type RegistrationHandler,
  type RegistrationHandlerOptions,
  type RegistrationListener,
  type RegistrationRequest,
  type RegistrationResponse,
} from './registration-handler.js'
export { startExpirySweeper, type ExpirySweeper } from './expiry.js'
export { createObservationRegistry, type ObservationRegistry, type ServerObservation } from './observations.js'
export { ClientNotRegisteredError, QueueFullError, RegistrationRequestError, RequestQueuedError } from './errors.js'
export { createRequestQueue, type QueuedRequest, type RequestQueue, type RequestQueueOptions } from './request-queue.js'
export { createSendHandler, type SendEvent, type SendHandler, type SendHandlerOptions } from './send-handler.js'
