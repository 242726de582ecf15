/**
 * Turns what WebRTC reports while gathering ICE candidates into warnings a person can act on. A
 * TURN server that refuses the credentials does not fail a connection, it only yields no relay
 * candidate, so without this a relay-only room would just never connect.
 */

/** The part of an `RTCPeerConnection` watched here (simple-peer's `_pc`). */
export interface WatchablePeerConnection {
  addEventListener(type: string, listener: (event: Event) => void): void
  readonly iceGatheringState?: RTCIceGatheringState
}

interface CandidateError {
  errorCode?: number
  errorText?: string
  url?: string
}

const REPEAT_AFTER_MS = 30_000

/** Watches the peer connections of one room and reports each distinct problem at most every 30 s. */
export class IceProblems {
  private readonly lastSaid = new Map<string, number>()

  constructor(
    private readonly report: (message: string) => void,
    private readonly relayOnly: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts watching one connection's candidate gathering. */
  watch(pc: WatchablePeerConnection | undefined): void {
    if (!pc || typeof pc.addEventListener !== 'function') return
    let relayCandidates = 0
    pc.addEventListener('icecandidateerror', (event) => this.onCandidateError(event as unknown as CandidateError))
    pc.addEventListener('icecandidate', (event) => {
      const candidate = (event as RTCPeerConnectionIceEvent).candidate?.candidate ?? ''
      if (/ typ relay/.test(candidate)) relayCandidates++
    })
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState !== 'complete' || !this.relayOnly || relayCandidates > 0) return
      this.say(
        'relay only, but no TURN server gave a relay candidate: no peer can connect. Check the TURN servers ' +
          '(reachable? credentials accepted?) and the warnings before this one.',
      )
    })
  }

  private onCandidateError({ errorCode, errorText, url }: CandidateError): void {
    // 701 "address is incompatible": a server of one address family seen from an interface of the
    // other (IPv4 server, IPv6 interface). Expected on any dual-stack host.
    if (errorCode === 701 && /incompatible/i.test(errorText ?? '')) return
    const server = url ?? 'an ICE server'
    if (errorCode === 401) {
      this.say(
        `the TURN server ${server} refused the credentials (401 Unauthorized): with credentials from the ` +
          "signaling server, its --turn-secret must equal coturn's static-auth-secret; otherwise check the " +
          'username and credential',
      )
    } else if (errorCode === 438) {
      this.say(`the TURN server ${server} refused the credentials as stale (438): are the clocks in sync?`)
    } else {
      this.say(`the ICE server ${server} failed: ${errorCode ?? '?'} ${errorText ?? ''}`.trim())
    }
  }

  private say(message: string): void {
    const t = this.now()
    if (t - (this.lastSaid.get(message) ?? -Infinity) < REPEAT_AFTER_MS) return
    this.lastSaid.set(message, t)
    this.report(message)
  }
}
