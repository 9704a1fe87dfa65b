/** Public API of the LwM2M request layer (Seam 1). */
export type { LwM2mRequest, LwM2mRequestKind, LwM2mResponse, ObserveRequest, RequestOf, ResponseCode } from './types.js'
export { coapCodeOf, isSuccessCoapCode, responseCodeOf } from './codes.js'
export { InvalidRequestError, RequestFailedError, RequestTimeoutError, type RequestFailure } from './errors.js'
export { chooseFormat, type FormatPeer } from './format.js'
export { fromCoapResponse, rootSegments, toCoapRequest, type TranslatedRequest, type TranslationPeer } from './translate.js'
export {
  createRequestSender,
  describeRequest,
  transportError,
  type CoapRequester,
  type LwM2mObservation,
  type PeerContext,
  type RequestSender,
  type RequestSenderOptions,
} from './sender.js'
export {
  isRequestParseError,
  negotiateFormat,
  parseLwM2mRequest,
  toCoapResponse,
  type DeviceResponse,
  type ParseRequestOptions,
  type RequestParseError,
} from './device-side.js'
