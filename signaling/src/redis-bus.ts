import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { ClusterBus } from './bus.js'
import type { Log } from './log.js'
import type { ClusterStats } from './types.js'

/** Every channel of ours starts with this, so a Redis shared with other software stays tidy. */
export const CHANNEL_PREFIX = 'diffstream:signaling:'
/** Reconnect delays grow to this and stay there while Redis is down. */
const MAX_RETRY_MS = 2_000

/**
 * Splits a message from Redis (`<instance id> <body>`); undefined when it is not one of ours.
 * Redis is the operator's, but a stray publisher on the same channel names must not crash the hub
 * or reach clients as garbage: the body must at least look like one JSON object.
 */
export function parseBusMessage(message: string): { instance: string; body: string } | undefined {
  const space = message.indexOf(' ')
  if (space <= 0 || space > 64) return undefined
  const body = message.slice(space + 1)
  // A non-empty object (`{` then a key): the receiving hub splices `,"clients":N` before the `}`.
  if (!/^\{\s*"/.test(body) || !body.endsWith('}')) return undefined
  return { instance: message.slice(0, space), body }
}

/**
 * A {@link ClusterBus} over Redis pub/sub with ioredis: one connection publishes, a second one
 * (Redis puts a subscribing connection in a mode where it can do nothing else) holds one channel
 * per topic that has local subscribers. Nothing is queued while Redis is down: signaling is
 * best effort (rooms announce again), and a queue would deliver stale offers after a reconnect.
 */
export class RedisBus implements ClusterBus {
  private readonly instance = randomBytes(8).toString('hex')
  private readonly pub: Redis
  private readonly sub: Redis
  private readonly topics = new Set<string>()
  private handler: (topic: string, body: string) => void = () => undefined
  private up = false
  /** Whether the current outage was logged (once per outage, however many retries fail). */
  private reportedDown = false
  private counters = { published: 0, received: 0, dropped: 0 }
  private closed = false

  constructor(
    url: string,
    private readonly log: Log,
  ) {
    const options = {
      // Fail a command at once while disconnected instead of queueing it (see the class comment).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(100 * times, MAX_RETRY_MS),
      // Subscriptions are restored by resubscribe(), which also covers topics joined while down.
      autoResubscribe: false,
      connectionName: `diffstream-signaling-${this.instance}`,
      lazyConnect: false,
    }
    this.pub = new Redis(url, options)
    this.sub = new Redis(url, options)
    for (const conn of [this.pub, this.sub]) {
      conn.on('ready', () => this.statusChanged())
      conn.on('end', () => this.statusChanged())
      conn.on('close', () => this.statusChanged())
      // ioredis retries by itself; without a listener an 'error' event would crash the process.
      conn.on('error', (err: Error) => this.down(err.message))
    }
    this.sub.on('ready', () => this.resubscribe())
    this.sub.on('message', (channel: string, message: string) => this.receive(channel, message))
  }

  join(topic: string): void {
    this.topics.add(topic)
    if (this.sub.status === 'ready') this.sub.subscribe(CHANNEL_PREFIX + topic).catch(() => undefined)
  }

  leave(topic: string): void {
    if (!this.topics.delete(topic)) return
    if (this.sub.status === 'ready') this.sub.unsubscribe(CHANNEL_PREFIX + topic).catch(() => undefined)
  }

  publish(topic: string, body: string): void {
    if (this.pub.status !== 'ready') {
      this.counters.dropped++
      return
    }
    this.counters.published++
    this.pub.publish(CHANNEL_PREFIX + topic, `${this.instance} ${body}`).catch(() => {
      this.counters.dropped++
    })
  }

  onMessage(handler: (topic: string, body: string) => void): void {
    this.handler = handler
  }

  stats(): ClusterStats {
    return { redis: this.up ? 'up' : 'down', instance: this.instance, ...this.counters }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.all([this.pub, this.sub].map((conn) => conn.quit().catch(() => conn.disconnect())))
  }

  private resubscribe(): void {
    if (this.topics.size === 0) return
    this.sub.subscribe(...Array.from(this.topics, (t) => CHANNEL_PREFIX + t)).catch(() => undefined)
  }

  private receive(channel: string, message: string): void {
    if (!channel.startsWith(CHANNEL_PREFIX)) return
    const parsed = parseBusMessage(message)
    if (!parsed) {
      this.log.warn('redis-invalid', { reason: 'a message on our channel that no instance sent' })
      return
    }
    // Redis sends our own publishes back to us; our clients already have them.
    if (parsed.instance === this.instance) return
    this.counters.received++
    this.handler(channel.slice(CHANNEL_PREFIX.length), parsed.body)
  }

  private statusChanged(): void {
    const up = this.pub.status === 'ready' && this.sub.status === 'ready'
    if (up === this.up) return
    this.up = up
    if (up) {
      this.reportedDown = false
      this.log.info('redis-up', { instance: this.instance, topics: this.topics.size })
    } else this.down('connection lost')
  }

  private down(message: string): void {
    if (this.closed || this.up || this.reportedDown) return
    this.reportedDown = true
    this.log.warn('redis-down', {
      instance: this.instance,
      message,
      reason: 'no Redis: serving this instance only, reconnecting',
    })
  }
}
