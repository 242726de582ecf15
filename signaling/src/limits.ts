import type { SignalingLimits } from './types.js'

/**
 * Defaults sized for y-webrtc clients: an SDP offer is a few KiB (more once encrypted and
 * base64-encoded), and a client joining a room of ~35 peers (y-webrtc's maxConns is 20 + up to 15)
 * sends an offer plus a handful of trickled ICE candidates per peer within a second or two, so the
 * burst must absorb a few hundred frames while the sustained rate stays low.
 */
export const DEFAULT_LIMITS: Readonly<SignalingLimits> = Object.freeze({
  maxPayload: 64 * 1024,
  maxTopicsPerConnection: 100,
  maxTopicLength: 256,
  maxSubscribersPerTopic: 256,
  messagesPerSecond: 100,
  messageBurst: 400,
  maxConnections: 1000,
  maxBufferedAmount: 4 * 1024 * 1024,
})

/**
 * Merges overrides into {@link DEFAULT_LIMITS}.
 * @throws RangeError when a value is not a positive finite number; a zero or NaN limit would
 * silently lock everyone out (or let everyone in), which is never what a caller meant.
 */
export function resolveLimits(overrides: Partial<SignalingLimits> = {}): SignalingLimits {
  const limits: SignalingLimits = { ...DEFAULT_LIMITS }
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof SignalingLimits)[]) {
    const value = overrides[key]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`limit ${key} must be a positive number, got ${String(value)}`)
    }
    limits[key] = value
  }
  return limits
}

/** Returns a monotonic time in milliseconds; injectable so the bucket can be tested without waiting. */
export type Clock = () => number

/**
 * A token bucket: holds up to `capacity` tokens, refills at `ratePerSecond`, and each frame takes
 * one. Lazily refilled on use, so an idle connection costs no timer.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly now: Clock = () => performance.now(),
  ) {
    this.tokens = capacity
    this.last = now()
  }

  /** Takes one token; returns false (taking nothing) when the bucket is empty. */
  take(): boolean {
    const t = this.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond)
    this.last = t
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
