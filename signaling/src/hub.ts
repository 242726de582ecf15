import { WebSocket, type RawData } from 'ws'
import { CloseCode, type Violation } from './close-codes.js'
import { TokenBucket } from './limits.js'
import type { Log } from './log.js'
import { TopicRegistry } from './topics.js'
import type { SignalingLimits, SignalingStats } from './types.js'
import { parseFrame, type ClientMessage } from './validate.js'
import type { ClusterBus } from './bus.js'
import { withClientCount, withoutClientCount } from './wire.js'

const PONG = JSON.stringify({ type: 'pong' })

/** Why the server ended a connection, kept for the disconnect log entry. */
interface Ending {
  /** Absent when ws closes the connection itself and picks the code. */
  code?: number
  reason: string
}

interface Client {
  readonly id: number
  readonly ws: WebSocket
  readonly ip: string
  readonly connectedAt: number
  readonly bucket: TokenBucket
  /** Topics this client is subscribed to, mirrored in the registry. */
  readonly topics: Set<string>
  /** Cleared at each heartbeat, set again by the pong. */
  alive: boolean
  /** Set once the server has decided to end the connection; later frames are ignored. */
  ending: Ending | undefined
}

function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/**
 * Owns the open connections: applies the y-webrtc signaling protocol to their frames, enforces
 * the per-connection limits, relays publishes, and reaps connections that stop answering pings.
 */
export class Hub {
  private readonly clients = new Set<Client>()
  private readonly registry: TopicRegistry<Client>
  private readonly drainWaiters: (() => void)[] = []
  private nextId = 1

  /**
   * @param bus the other instances of a cluster: publishes go to them once per publish, and theirs
   *   come back for the topics that have subscribers here.
   */
  constructor(
    private readonly limits: SignalingLimits,
    private readonly log: Log,
    private readonly bus?: ClusterBus,
  ) {
    this.registry = new TopicRegistry(limits.maxSubscribersPerTopic)
    bus?.onMessage((topic, body) => this.deliverRemote(topic, body))
  }

  /** Counts for `/health`. */
  stats(): SignalingStats {
    const stats: SignalingStats = { connections: this.clients.size, topics: this.registry.size }
    if (this.bus) stats.cluster = this.bus.stats()
    return stats
  }

  /** Takes over a freshly upgraded WebSocket. */
  attach(ws: WebSocket, ip: string): void {
    const client: Client = {
      id: this.nextId++,
      ws,
      ip,
      connectedAt: Date.now(),
      bucket: new TokenBucket(this.limits.messagesPerSecond, this.limits.messageBurst),
      topics: new Set(),
      alive: true,
      ending: undefined,
    }
    this.clients.add(client)
    ws.on('message', (data, isBinary) => this.onFrame(client, data, isBinary))
    ws.on('pong', () => {
      client.alive = true
    })
    // ws reports protocol errors (oversized frame, invalid UTF-8, bad opcode) here and then closes
    // the connection itself with the matching code; without a listener they would crash the process.
    ws.on('error', (err: Error & { code?: string }) => {
      if (client.ending) return
      client.ending = { reason: err.message }
      this.leaveAll(client)
      this.log.warn('reject', { id: client.id, ip, reason: err.message, error: err.code ?? null })
    })
    ws.on('close', (code, reason) => this.detach(client, code, reason.toString('utf8')))
    this.log.info('connect', { id: client.id, ip, connections: this.clients.size })
  }

  /**
   * One heartbeat tick: terminates connections that did not answer the previous ping and pings
   * the rest. Terminated rather than closed, since a peer that does not answer pings will not
   * answer a close handshake either.
   */
  sweep(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        if (!client.ending) client.ending = { code: 1006, reason: 'heartbeat timeout' }
        this.leaveAll(client)
        client.ws.terminate()
        continue
      }
      client.alive = false
      client.ws.ping()
    }
  }

  /**
   * Closes every connection with `code`/`reason`, waits up to `graceMs` for the close handshakes,
   * then terminates whatever is left; resolves once no connection remains.
   */
  async closeAll(code: number, reason: string, graceMs: number): Promise<void> {
    for (const client of this.clients) this.end(client, { code, reason })
    if (this.clients.size === 0) return
    let timer: NodeJS.Timeout | undefined
    const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve))
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([drained, graceOver])
    clearTimeout(timer)
    if (this.clients.size === 0) return
    for (const client of this.clients) client.ws.terminate()
    await drained
  }

  private onFrame(client: Client, data: RawData, isBinary: boolean): void {
    if (client.ending) return
    if (!client.bucket.take())
      return this.reject(client, { code: CloseCode.RateLimited, reason: 'rate limit exceeded' })
    if (isBinary) {
      return this.reject(client, { code: CloseCode.UnsupportedData, reason: 'binary frames are not accepted' })
    }
    const result = parseFrame(frameText(data), this.limits)
    if (!result.ok) return this.reject(client, result.violation)
    this.apply(client, result.message)
  }

  private apply(client: Client, message: ClientMessage): void {
    switch (message.kind) {
      case 'subscribe':
        return this.subscribe(client, message.topics)
      case 'unsubscribe':
        return this.unsubscribe(client, message.topics)
      case 'publish':
        return this.publish(client, message.topic, message.text, message.fields)
      case 'ping':
        return this.deliver(client, PONG)
      case 'unknown':
        this.log.debug('ignored', { id: client.id, type: message.type.slice(0, 64) })
        return
    }
  }

  // Topic names are not logged: in y-webrtc the room name is what lets a peer join an unencrypted
  // room, so it is as sensitive as the payloads.
  private subscribe(client: Client, topics: string[]): void {
    const fresh = topics.filter((topic) => !client.topics.has(topic))
    if (client.topics.size + fresh.length > this.limits.maxTopicsPerConnection) {
      return this.reject(client, { code: CloseCode.PolicyViolation, reason: 'too many topics' })
    }
    let added = 0
    for (const topic of fresh) {
      if (this.registry.subscribe(topic, client) === 'full') {
        this.log.warn('reject', { id: client.id, ip: client.ip, reason: 'topic full' })
        continue
      }
      if (this.registry.subscribers(topic).size === 1) this.bus?.join(topic)
      client.topics.add(topic)
      added++
    }
    // y-webrtc re-sends subscribe for rooms it already joined on every peer change; logging only
    // real additions keeps that chatter out of the log.
    if (added > 0) this.log.info('subscribe', { id: client.id, added, topics: client.topics.size })
  }

  private unsubscribe(client: Client, topics: string[]): void {
    let removed = 0
    for (const topic of topics) {
      if (!this.leaveTopic(topic, client)) continue
      client.topics.delete(topic)
      removed++
    }
    if (removed > 0) this.log.debug('unsubscribe', { id: client.id, removed, topics: client.topics.size })
  }

  // Publishing to a topic one is not subscribed to is allowed, as in y-webrtc's server; the rate
  // limit bounds what that can cost.
  private publish(client: Client, topic: string, text: string, fields: Record<string, unknown>): void {
    const receivers = this.registry.subscribers(topic)
    if (this.bus) {
      const body = withoutClientCount(text, fields)
      if (body === undefined) return this.cannotRelay(client)
      // Once per publish, whatever the number of subscribers elsewhere: each instance fans out.
      this.bus.publish(topic, body)
    }
    if (receivers.size === 0) return
    const frame = withClientCount(text, fields, receivers.size)
    if (frame === undefined) return this.cannotRelay(client)
    for (const receiver of receivers) this.deliver(receiver, frame)
  }

  private cannotRelay(client: Client): void {
    this.reject(client, { code: CloseCode.PolicyViolation, reason: 'invalid message: cannot be relayed' })
  }

  /** A publish made on another instance of the cluster, for this instance's subscribers. */
  private deliverRemote(topic: string, body: string): void {
    const receivers = this.registry.subscribers(topic)
    if (receivers.size === 0) return
    // The bus hands over bodies without `clients`, so splicing in the local count is safe.
    const frame = `${body.slice(0, -1)},"clients":${receivers.size}}`
    for (const receiver of receivers) this.deliver(receiver, frame)
  }

  private deliver(client: Client, frame: string): void {
    if (client.ending || client.ws.readyState !== WebSocket.OPEN) return
    if (client.ws.bufferedAmount > this.limits.maxBufferedAmount) {
      return this.reject(client, { code: CloseCode.TryAgainLater, reason: 'send buffer full' })
    }
    client.ws.send(frame)
  }

  private reject(client: Client, violation: Violation): void {
    if (client.ending) return
    this.log.warn('reject', { id: client.id, ip: client.ip, code: violation.code, reason: violation.reason })
    this.end(client, violation)
  }

  private end(client: Client, ending: Required<Ending>): void {
    if (client.ws.readyState === WebSocket.CLOSING || client.ws.readyState === WebSocket.CLOSED) return
    client.ending ??= ending
    // Leave the topics at once rather than on 'close', so a closing connection gets no more relays.
    this.leaveAll(client)
    client.ws.close(ending.code, ending.reason)
  }

  private leaveAll(client: Client): void {
    for (const topic of client.topics) this.leaveTopic(topic, client)
    client.topics.clear()
  }

  private leaveTopic(topic: string, client: Client): boolean {
    if (!this.registry.unsubscribe(topic, client)) return false
    if (this.registry.subscribers(topic).size === 0) this.bus?.leave(topic)
    return true
  }

  private detach(client: Client, code: number, reason: string): void {
    if (!this.clients.delete(client)) return
    this.leaveAll(client)
    this.log.info('disconnect', {
      id: client.id,
      ip: client.ip,
      code: client.ending?.code ?? code,
      reason: client.ending?.reason ?? reason,
      durationMs: Date.now() - client.connectedAt,
      connections: this.clients.size,
    })
    if (this.clients.size === 0) for (const resolve of this.drainWaiters.splice(0)) resolve()
  }
}
