/** Public API of the CoAP endpoint. */
export { createCoapEndpoint, type CoapEndpoint, type CoapEndpointOptions } from './endpoint.js'
export type { CoapStats } from './core.js'
export type { CoapObservation, CoapObservationEnd, CoapRequestOptions } from './client.js'
export type { CoapRequestHandler } from './server.js'
export {
  codeOfMethod,
  methodOfCode,
  payloadBytes,
  type CoapMethod,
  type CoapObserveRelation,
  type CoapRequest,
  type CoapRequestContext,
  type CoapRequestInit,
  type CoapResponse,
  type CoapResponseInit,
} from './request.js'
export { decodeMessage, encodeMessage, type CoapMessage, type CoapOption, type CoapType } from './message.js'
export { OptionNumber, encodeUint, decodeUint, getStrings, getUint, encodeBlock, decodeBlock } from './options.js'
export {
  CoapBlockError,
  CoapEndpointClosedError,
  CoapFormatError,
  CoapResetError,
  CoapSendError,
  CoapSessionEndedError,
  CoapTimeoutError,
} from './errors.js'
