/** Public API of the bootstrap server's protocol logic (no I/O: the sender is injected). */
export { DEFAULT_BOOTSTRAP_CONFIG, resolveBootstrapConfig, type BootstrapConfig } from './config.js'
export { BootstrapConfigError, BootstrapSessionError, type BootstrapFailureReason } from './errors.js'
export { bootstrapWriteFormat } from './format.js'
export { SecurityMode, securityInstance, serverInstance } from './instances.js'
export {
  firstFreeId,
  runBootstrapSession,
  securityInstancesOf,
  type BootstrapSender,
  type BootstrapSessionInput,
  type BootstrapSessionResult,
} from './session.js'
export {
  createBootstrapHandler,
  type BootstrapHandler,
  type BootstrapHandlerOptions,
  type BootstrapInbound,
  type BootstrapInboundContext,
  type BootstrapOutcome,
  type BootstrapReply,
  type BootstrapStats,
} from './handler.js'
