import { Emitter } from '../emitter.js'

/** The WebSocket constructor in use: the platform's, or `ws` in Node. */
export type WebSocketLike = new (url: string) => WebSocket

/** Events of a {@link SignalingClient}. */
export type SignalingClientEvents = {
  /** A parsed JSON object from the server. */
  message: (msg: Record<string, unknown>) => void
  status: (connected: boolean) => void
}

const PING_EVERY_MS = 10_000
const SILENT_LIMIT_MS = 30_000

/**
 * A WebSocket to one signaling server that reconnects with exponential backoff and jitter, and
 * treats a server that stays silent (not even answering pings) as gone.
 */
export class SignalingClient extends Emitter<SignalingClientEvents> {
  connected = false
  private ws: WebSocket | null = null
  private attempts = 0
  private closed = false
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private pingTimer: ReturnType<typeof setInterval> | null = null
  private lastHeard = 0

  constructor(
    readonly url: string,
    private readonly WebSocketImpl: WebSocketLike,
  ) {
    super()
    this.open()
  }

  /** Sends a JSON message if connected; signaling is best effort and re-announced on reconnect. */
  send(msg: Record<string, unknown>): void {
    if (this.ws && this.connected) this.ws.send(JSON.stringify(msg))
  }

  close(): void {
    this.closed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.stopPing()
    this.ws?.close()
    this.ws = null
    this.setConnected(false)
  }

  private open(): void {
    let ws: WebSocket
    try {
      ws = new this.WebSocketImpl(this.url)
    } catch {
      this.scheduleRetry()
      return
    }
    this.ws = ws
    ws.onopen = () => {
      this.attempts = 0
      this.lastHeard = Date.now()
      this.startPing()
      this.setConnected(true)
    }
    ws.onmessage = (event: MessageEvent) => {
      this.lastHeard = Date.now()
      if (typeof event.data !== 'string') return
      let msg: unknown
      try {
        msg = JSON.parse(event.data)
      } catch {
        return
      }
      if (msg !== null && typeof msg === 'object' && !Array.isArray(msg))
        this.emit('message', msg as Record<string, unknown>)
    }
    ws.onerror = () => {
      // 'close' follows; retrying happens there.
    }
    ws.onclose = () => {
      if (this.ws !== ws) return
      this.ws = null
      this.stopPing()
      this.setConnected(false)
      this.scheduleRetry()
    }
  }

  private scheduleRetry(): void {
    if (this.closed) return
    const base = Math.min(5000, 100 * 2 ** this.attempts++)
    this.retryTimer = setTimeout(() => this.open(), base / 2 + Math.random() * (base / 2))
  }

  private startPing(): void {
    this.stopPing()
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENT_LIMIT_MS) {
        this.ws?.close()
        return
      }
      this.send({ type: 'ping' })
    }, PING_EVERY_MS)
    const timer = this.pingTimer as { unref?: () => void }
    timer.unref?.()
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = null
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return
    this.connected = connected
    this.emit('status', connected)
  }
}
