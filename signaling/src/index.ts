/**
 * `@diffstream/signaling`: a y-webrtc compatible signaling server that validates every frame and
 * enforces per-connection limits. Wire format and close codes: `docs/signaling.md`.
 * @packageDocumentation
 * @module @diffstream/signaling
 */
export { startSignalingServer } from './server.js'
export { DEFAULT_LIMITS } from './limits.js'
export { CloseCode, type CloseCodeValue } from './close-codes.js'
export type {
  ClusterStats,
  IceOptions,
  LogEntry,
  LogLevel,
  LogSink,
  LogValue,
  SignalingLimits,
  SignalingServer,
  SignalingServerOptions,
  SignalingStats,
  TurnOptions,
} from './types.js'
