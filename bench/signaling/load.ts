/**
 * The simulated clients of the `signaling` suite: plain WebSocket clients speaking y-webrtc's
 * signaling protocol, each subscribed to one room's topic, publishing announces at a fixed total
 * rate and timing every delivery (sender and receivers are in this process: one clock).
 */
import WebSocket from 'ws'

export interface LoadOptions {
  /** Server URLs; client i connects to urls[i % urls.length]. */
  urls: string[]
  clients: number
  /** Client i is in topic i % topics. */
  topics: number
}

export interface LoadRun {
  /** Publishes per second asked for. */
  offeredRate: number
  /** Publishes sent in the measured window, and its length. */
  sent: number
  /** Publishes sent in all, the warm-up included. */
  sentTotal: number
  seconds: number
  /** Deliveries of those publishes (every subscriber of the topic, the sender included), by the end of the drain. */
  delivered: number
  /** Deliveries (of any publish of this run) received during the measured window: the throughput. */
  deliveredInWindow: number
  expected: number
  /** Send → delivery, ms, for every delivery counted. */
  latenciesMs: number[]
}

interface Client {
  ws: WebSocket
  topic: string
}

/** Waits after a window for deliveries still on their way. */
const DRAIN_MS = 1_500
const TICK_MS = 5
/** Quiet for this long means the servers' backlog is gone; waited for at most QUIET_MAX_MS. */
const QUIET_MS = 300
const QUIET_MAX_MS = 15_000

export class SignalingLoad {
  private run = 0
  private window = { run: -1, start: 0, end: 0 }
  private delivered = 0
  private deliveredInWindow = 0
  private latencies: number[] = []
  /** When the last frame of any run arrived: the next run starts once the backlog is gone. */
  private lastReceive = 0

  private constructor(
    private readonly clients: Client[],
    private readonly perTopic: number,
  ) {}

  static async connect(options: LoadOptions): Promise<SignalingLoad> {
    const clients: Client[] = []
    const load = new SignalingLoad(clients, Math.ceil(options.clients / options.topics))
    // Connected in batches so that a burst of 1 000 handshakes does not trip anyone's limits.
    for (let i = 0; i < options.clients; i += 50) {
      const batch = Array.from({ length: Math.min(50, options.clients - i) }, (_, j) => i + j)
      clients.push(
        ...(await Promise.all(batch.map((n) => load.open(options.urls[n % options.urls.length]!, n, options.topics)))),
      )
    }
    return load
  }

  private async open(url: string, n: number, topics: number): Promise<Client> {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    const topic = `bench-room-${n % topics}`
    ws.send(JSON.stringify({ type: 'subscribe', topics: [topic] }))
    ws.on('message', (data) => this.receive(String(data)))
    return { ws, topic }
  }

  private receive(text: string): void {
    const now = performance.now()
    this.lastReceive = now
    let msg: { data?: { r?: number; t?: number } }
    try {
      msg = JSON.parse(text) as typeof msg
    } catch {
      return
    }
    const t = msg.data?.t
    if (msg.data?.r !== this.window.run || typeof t !== 'number') return
    if (now >= this.window.start && now < this.window.end) this.deliveredInWindow++
    if (t < this.window.start || t >= this.window.end) return
    this.delivered++
    this.latencies.push(now - t)
  }

  /**
   * Publishes `rate` announces a second, round robin over the clients, for `warmupMs` (not
   * counted) and then `durationMs` (counted), and waits for the stragglers.
   */
  async measure(rate: number, durationMs: number, warmupMs: number): Promise<LoadRun> {
    const run = ++this.run
    this.delivered = 0
    this.deliveredInWindow = 0
    this.latencies = []
    const start = performance.now()
    const measureFrom = start + warmupMs
    const end = measureFrom + durationMs
    this.window = { run, start: measureFrom, end }
    let sent = 0
    let sentInWindow = 0
    let next = 0
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now()
        const due = Math.floor(((Math.min(now, end) - start) * rate) / 1000)
        for (; sent < due; sent++) {
          const client = this.clients[next++ % this.clients.length]!
          const t = performance.now()
          if (t >= measureFrom && t < end) sentInWindow++
          client.ws.send(
            `{"type":"publish","topic":"${client.topic}","data":{"type":"announce","from":"c${next}","n":${sent},"r":${run},"t":${t}}}`,
          )
        }
        if (now >= end) resolve()
        else setTimeout(tick, TICK_MS)
      }
      tick()
    })
    await new Promise((r) => setTimeout(r, DRAIN_MS))
    this.window = { run: -1, start: 0, end: 0 }
    const result: LoadRun = {
      offeredRate: rate,
      sent: sentInWindow,
      sentTotal: sent,
      seconds: durationMs / 1000,
      delivered: this.delivered,
      deliveredInWindow: this.deliveredInWindow,
      expected: sentInWindow * this.perTopic,
      latenciesMs: this.latencies,
    }
    // An overloaded run leaves a backlog in the servers: let it drain so it does not slow the next.
    const quietBy = performance.now() + QUIET_MAX_MS
    while (performance.now() - this.lastReceive < QUIET_MS && performance.now() < quietBy)
      await new Promise((r) => setTimeout(r, 50))
    return result
  }

  close(): void {
    for (const c of this.clients) c.ws.terminate()
  }
}
