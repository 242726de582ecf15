/**
 * WebSocket close codes the server sends, and why. Standard codes where one fits, so generic
 * clients understand them; 4029 (private range) for the rate limit, which has no standard code.
 */
export const CloseCode = {
  /** The server is shutting down. */
  GoingAway: 1001,
  /** A binary frame: the protocol is JSON text only. */
  UnsupportedData: 1003,
  /** A text frame that is not JSON (ws itself also uses 1007 for invalid UTF-8). */
  InvalidPayload: 1007,
  /** Valid JSON that is not a valid message, a topic too long, or too many topics. */
  PolicyViolation: 1008,
  /** A frame larger than `maxPayload` (sent by ws itself). */
  MessageTooBig: 1009,
  /** The connection's send buffer is over `maxBufferedAmount`: it is not reading. */
  TryAgainLater: 1013,
  /** More frames than the token bucket allows. */
  RateLimited: 4029,
} as const

/** One of the {@link CloseCode} values. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode]

/** Why a connection is being closed: a code and a short human-readable reason (at most 123 bytes). */
export interface Violation {
  code: CloseCodeValue
  reason: string
}
