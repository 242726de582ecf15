import type { ReplicaClock } from './replica-link.js'

/** Default heartbeat timeout: a link silent this long is dropped. */
export const HEARTBEAT_MS = 15_000

/** What the heartbeat asks of the room around it. */
export interface LivenessHost {
  readonly clock: ReplicaClock
  /** Sends something on `id` that its peer answers (a ping, or a query for a y-webrtc peer). */
  ping(id: string): void
  /** `id` has been silent for the whole timeout. */
  dead(id: string, silentMs: number): void
  /** This process itself stood still longer than the timeout (frozen, suspended): its peers have dropped it. */
  woke(stoodMs: number): void
}

interface Heard {
  heard: number
  pinged: number
}

/**
 * Notices peers that vanished without a close (a network drop, a frozen process; `@roamhq/wrtc`
 * reports no remote close at all). Any frame from a link counts as a sign of life; a link silent
 * for a sixth of the timeout is pinged (again every sixth), one silent for the whole timeout is
 * reported dead. The tick runs only while there are links.
 */
export class Liveness {
  private readonly links = new Map<string, Heard>()
  private timer: { cancel(): void } | null = null
  private lastTick = 0
  private readonly tickMs: number

  constructor(
    private readonly host: LivenessHost,
    readonly timeoutMs: number = HEARTBEAT_MS,
  ) {
    this.tickMs = Math.max(50, Math.min(1000, Math.floor(timeoutMs / 10)))
  }

  add(id: string): void {
    const now = this.host.clock.now()
    this.links.set(id, { heard: now, pinged: now })
    this.schedule()
  }

  remove(id: string): void {
    this.links.delete(id)
  }

  /** How long `id` has been silent (0 for an unknown link). */
  silentFor(id: string): number {
    const h = this.links.get(id)
    return h ? this.host.clock.now() - h.heard : 0
  }

  /** Something arrived from `id`; returns how long it had been silent. */
  heard(id: string): number {
    const h = this.links.get(id)
    if (!h) return 0
    const now = this.host.clock.now()
    const silent = now - h.heard
    h.heard = now
    return silent
  }

  destroy(): void {
    this.timer?.cancel()
    this.timer = null
    this.links.clear()
  }

  private schedule(): void {
    if (this.timer) return
    this.lastTick = this.host.clock.now()
    this.timer = this.host.clock.later(() => this.tick(), this.tickMs)
  }

  private tick(): void {
    this.timer = null
    const now = this.host.clock.now()
    const stood = now - this.lastTick - this.tickMs
    if (stood > this.timeoutMs) {
      // Our own timers were late by more than the timeout: every peer has dropped us by now.
      this.host.woke(stood)
    } else {
      const quiet = this.timeoutMs / 6
      for (const [id, h] of Array.from(this.links)) {
        const silent = now - h.heard
        if (silent >= this.timeoutMs) {
          this.links.delete(id)
          this.host.dead(id, silent)
        } else if (silent >= quiet && now - h.pinged >= quiet) {
          h.pinged = now
          this.host.ping(id)
        }
      }
    }
    if (this.links.size > 0) this.schedule()
  }
}
