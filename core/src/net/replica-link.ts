/** A connection as a replica sees it: somewhere to send frames. */
export interface ReplicaLink {
  readonly id: string
  /** A DiffStream peer, which follows epochs and the broadcast tree; false for a y-webrtc peer, which cannot. */
  readonly followsEpochs: boolean
  send(frame: Uint8Array): void
  /** Closes the connection. */
  drop(reason: string): void
  /**
   * Whether the peer has not answered for a while (pinged, no answer: frozen or gone): the tree then
   * pushes nothing to it, rather than a backlog it would relay, all duplicates, when it wakes.
   */
  quiet?(): boolean
}

/** Timers, injectable so that a simulated network can run the protocol deterministically. */
export interface ReplicaClock {
  now(): number
  later(fn: () => void, ms: number): { cancel(): void }
}

/** The real clock; its timers never keep a Node process alive. */
export const realClock: ReplicaClock = {
  now: () => Date.now(),
  later(fn, ms) {
    const t = setTimeout(fn, ms)
    ;(t as { unref?: () => void }).unref?.()
    return { cancel: () => clearTimeout(t) }
  },
}
