import { Emitter } from '../emitter.js'
import { fromBase64, toBase64 } from './base64.js'
import { decryptJson, encryptJson } from './crypto.js'
import { webSocketImpl } from './environment.js'
import { RecentSet } from './recent-set.js'
import { SignalingClient } from './signaling-client.js'

/** A signaling payload addressed to this peer (or to everyone), decrypted and checked. */
export interface SignalPayload {
  type: 'announce' | 'signal'
  from: string
  to?: string
  [field: string]: unknown
}

/** Events of a {@link RoomSignaling}. */
export type RoomSignalingEvents = {
  /** A payload for this peer arrived through `conn`. */
  payload: (payload: SignalPayload, conn: SignalingClient) => void
  /** A signaling server connected or went away. */
  status: () => void
  /** A signaling server connected and this peer was announced on it. */
  connected: () => void
  warning: (message: string) => void
}

/**
 * A room's side of the signaling servers: y-webrtc's subscribe/publish protocol, with payloads
 * encrypted exactly as y-webrtc does when the room has a password. It subscribes and announces on
 * every (re)connect (with the fields `announceFields` gives: who this peer is linked to) and hands the
 * room only payloads that decrypt and are meant for this peer.
 *
 * With several servers (or a cluster whose instances relay each other's publishes) the same
 * payload can arrive more than once; each is handed over once. Announces carry a random `n` so
 * that a new announce is never mistaken for a copy of an earlier one (y-webrtc ignores the field).
 */
export class RoomSignaling extends Emitter<RoomSignalingEvents> {
  readonly conns: SignalingClient[] = []
  private readonly recent = new RecentSet()
  private closed = false
  private undecryptableAt = 0

  constructor(
    private readonly topic: string,
    private readonly peerId: string,
    private readonly key: Promise<CryptoKey | null>,
    private readonly announceFields: () => Record<string, unknown>,
  ) {
    super()
  }

  /** Connects to each server; failures surface as warnings, never as rejections. */
  async connect(urls: readonly string[]): Promise<void> {
    let WebSocketImpl
    try {
      WebSocketImpl = await webSocketImpl()
    } catch (err) {
      this.emit('warning', `no WebSocket implementation: ${String(err)}`)
      return
    }
    if (this.closed) return
    for (const url of urls) {
      const conn = new SignalingClient(url, WebSocketImpl)
      this.conns.push(conn)
      conn.on('status', (connected) => {
        if (connected) {
          conn.send({ type: 'subscribe', topics: [this.topic] })
          void this.publish(conn, this.announcement())
        }
        this.emit('status')
        if (connected) this.emit('connected')
      })
      conn.on('message', (msg) => void this.receive(conn, msg))
    }
  }

  get connected(): number {
    return this.conns.filter((c) => c.connected).length
  }

  private announcement(): Record<string, unknown> {
    return { type: 'announce', from: this.peerId, ...this.announceFields(), n: Math.floor(Math.random() * 2 ** 52) }
  }

  /** Publishes `data` on `conn`, or on every connected server when `conn` is not connected. */
  publishVia(conn: SignalingClient | undefined, data: Record<string, unknown>): void {
    if (conn?.connected) {
      void this.publish(conn, data)
      return
    }
    for (const c of this.conns) if (c.connected) void this.publish(c, data)
  }

  async publish(conn: SignalingClient, data: Record<string, unknown>): Promise<void> {
    try {
      const key = await this.key
      if (key) conn.send({ type: 'publish', topic: this.topic, data: toBase64(await encryptJson(data, key)) })
      else conn.send({ type: 'publish', topic: this.topic, data })
    } catch (err) {
      this.emit('warning', `could not publish a signal: ${String(err)}`)
    }
  }

  close(): void {
    this.closed = true
    for (const conn of this.conns) {
      conn.send({ type: 'unsubscribe', topics: [this.topic] })
      conn.close()
    }
  }

  private async receive(conn: SignalingClient, msg: Record<string, unknown>): Promise<void> {
    if (msg.type !== 'publish' || msg.topic !== this.topic || this.closed) return
    let data: unknown = msg.data
    try {
      const key = await this.key
      if (key) {
        if (typeof data !== 'string') return
        // The same ciphertext twice is the same publish relayed twice: skip before decrypting.
        if (this.recent.check(data)) return
        data = await decryptJson(fromBase64(data), key)
      }
    } catch {
      this.emit('warning', 'a signaling message did not decrypt: is the password the same on every peer?')
      // Announce back (at most every 2 s) so that the sender, too, learns that passwords differ.
      const now = Date.now()
      if (now - this.undecryptableAt >= 2000) {
        this.undecryptableAt = now
        void this.publish(conn, this.announcement())
      }
      return
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return
    const payload = data as Partial<SignalPayload>
    if (payload.type !== 'announce' && payload.type !== 'signal') return
    if (typeof payload.from !== 'string' || payload.from === this.peerId) return
    if (payload.to !== undefined && payload.to !== this.peerId) return
    // Signals are never sent twice alike; announces only with a nonce (a y-webrtc peer's announce
    // has none, and a later one of its announces must not be taken for a copy).
    if (!(await this.key) && (payload.type === 'signal' || (payload as { n?: unknown }).n !== undefined)) {
      if (this.recent.check(JSON.stringify(payload))) return
    }
    this.emit('payload', payload as SignalPayload, conn)
  }
}
