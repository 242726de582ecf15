import { hasTurn, IceServerSource } from './ice.js'
import { IceProblems, type WatchablePeerConnection } from './ice-watch.js'
import type { RoomOptions } from './types.js'

/**
 * A room's ICE side: the configuration each new connection gets (the given STUN/TURN servers, or
 * fresh ones from the signaling servers' `/ice`, and the transport policy), and the watch that
 * turns TURN failures into warnings.
 */
export class RoomIce {
  private readonly source: IceServerSource | null
  private readonly problems: IceProblems
  private warnedNoTurn = false

  constructor(
    private readonly options: Pick<RoomOptions, 'iceServers' | 'iceTransportPolicy'>,
    signaling: readonly string[],
    private readonly warn: (message: string) => void,
  ) {
    this.source = options.iceServers ? null : new IceServerSource(signaling, warn)
    this.problems = new IceProblems(warn, options.iceTransportPolicy === 'relay')
  }

  /** Starts fetching `/ice` so that the first connection does not wait for it. */
  prefetch(): void {
    void this.source?.servers()
  }

  /** The configuration for a new connection; never rejects. */
  async config(): Promise<RTCConfiguration> {
    const iceServers = this.options.iceServers ?? (await this.source!.servers())
    const policy = this.options.iceTransportPolicy ?? 'all'
    if (policy === 'relay' && !hasTurn(iceServers) && !this.warnedNoTurn) {
      this.warnedNoTurn = true
      this.warn('relay only, but no TURN server is configured: no peer can connect')
    }
    return { iceServers, iceTransportPolicy: policy }
  }

  /** Watches a new connection's candidate gathering (TURN refusals, relay-only without a relay). */
  watch(pc: WatchablePeerConnection | undefined): void {
    this.problems.watch(pc)
  }
}
