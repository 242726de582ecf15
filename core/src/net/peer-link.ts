import type SimplePeer from 'simple-peer'
import { Reassembler, splitMessage, CHUNK_TYPE } from './chunking.js'

/** What a link reports to its room. */
export interface PeerLinkHandlers {
  signal(data: SimplePeer.SignalData): void
  connect(): void
  /** A whole message (reassembled if it came in chunks). */
  message(bytes: Uint8Array): void
  close(): void
  /** The remote peer broke the protocol; the link is already being destroyed. */
  misbehaved(reason: string): void
}

/** How to build a simple-peer instance in this environment. */
export type PeerFactory = (opts: SimplePeer.Options) => SimplePeer.Instance

/**
 * One WebRTC data channel to one remote peer (simple-peer). Sends big messages in chunks through
 * simple-peer's stream interface, which waits on `bufferedAmount`, so a large sync never floods
 * the channel; reassembles incoming chunks within fixed bounds.
 */
export class PeerLink {
  connected = false
  /** y-webrtc's glare token of our current connection attempt. */
  glareToken: number | undefined = undefined
  /**
   * Whether the remote peer is DiffStream (it said so while signaling) and so understands chunk
   * frames; y-webrtc peers get whole messages, as y-webrtc itself sends them.
   */
  chunking = false
  private readonly peer: SimplePeer.Instance
  private readonly reassembler: Reassembler
  private nextChunkId = 1
  private early: Uint8Array[] = []
  private destroyed = false

  constructor(
    readonly remoteId: string,
    /** This side's id for the connection (see docs/rooms.md, "Links"). */
    readonly lid: number,
    readonly initiator: boolean,
    factory: PeerFactory,
    options: SimplePeer.Options,
    private readonly handlers: PeerLinkHandlers,
    maxMessageBytes: number,
  ) {
    this.reassembler = new Reassembler({ maxMessageBytes })
    this.peer = factory({ ...options, initiator })
    this.peer.on('signal', (data: SimplePeer.SignalData) => handlers.signal(data))
    this.peer.on('connect', () => {
      this.connected = true
      handlers.connect()
      const early = this.early
      this.early = []
      for (const m of early) this.send(m)
    })
    this.peer.on('data', (data: Uint8Array) => this.receive(data))
    this.peer.on('close', () => this.finish())
    this.peer.on('error', () => this.finish())
  }

  /** The underlying `RTCPeerConnection` (simple-peer's), for ICE watching and path stats. */
  get pc(): RTCPeerConnection | undefined {
    return (this.peer as unknown as { _pc?: RTCPeerConnection })._pc
  }

  /** Passes on a signal (offer, answer, candidate) from the remote peer. */
  signal(data: SimplePeer.SignalData): void {
    if (!this.destroyed) this.peer.signal(data)
  }

  /** Sends one message, split into chunks when it is large. */
  send(message: Uint8Array): void {
    if (this.destroyed) return
    // The remote side can open first and talk to us before our own 'connect' fires; answers
    // given in that window wait here instead of being lost.
    if (!this.connected) {
      this.early.push(message)
      return
    }
    const frames = this.chunking ? splitMessage(message, this.nextChunkId) : [message]
    if (frames.length > 1) this.nextChunkId = (this.nextChunkId + 1) % 0x7fffffff || 1
    for (const f of frames) this.peer.write(f)
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.peer.destroy()
    this.finish()
  }

  private receive(data: Uint8Array): void {
    if (this.destroyed) return
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    // y-webrtc answers a message type it does not know with an empty message.
    if (bytes.length === 0) return
    try {
      if (bytes[0] === CHUNK_TYPE) {
        const whole = this.reassembler.push(bytes)
        if (whole) this.handlers.message(whole)
      } else {
        this.handlers.message(bytes)
      }
    } catch (err) {
      this.handlers.misbehaved(err instanceof Error ? err.message : String(err))
      this.destroy()
    }
  }

  private closedOnce = false
  private finish(): void {
    this.connected = false
    if (this.closedOnce) return
    this.closedOnce = true
    this.destroyed = true
    this.peer.destroy()
    this.handlers.close()
  }
}
