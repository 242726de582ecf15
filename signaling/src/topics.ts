const EMPTY: ReadonlySet<never> = new Set<never>()

/** Result of {@link TopicRegistry.subscribe}. */
export type SubscribeOutcome = 'added' | 'already' | 'full'

/**
 * Which connections are subscribed to which topic. Generic over the connection type so it can be
 * tested without sockets. Empty topics are dropped at once: y-webrtc's server keeps them after an
 * unsubscribe, which leaks one entry per room name ever used.
 */
export class TopicRegistry<C> {
  private readonly topics = new Map<string, Set<C>>()

  constructor(private readonly maxSubscribersPerTopic: number) {}

  /** Adds `conn` to `topic` unless the topic already holds `maxSubscribersPerTopic` others. */
  subscribe(topic: string, conn: C): SubscribeOutcome {
    let subs = this.topics.get(topic)
    if (subs?.has(conn)) return 'already'
    if (subs && subs.size >= this.maxSubscribersPerTopic) return 'full'
    if (!subs) this.topics.set(topic, (subs = new Set()))
    subs.add(conn)
    return 'added'
  }

  /** Removes `conn` from `topic`; returns whether it was subscribed. */
  unsubscribe(topic: string, conn: C): boolean {
    const subs = this.topics.get(topic)
    if (!subs?.delete(conn)) return false
    if (subs.size === 0) this.topics.delete(topic)
    return true
  }

  /** The subscribers of `topic` (empty when none). */
  subscribers(topic: string): ReadonlySet<C> {
    return this.topics.get(topic) ?? EMPTY
  }

  /** Number of topics with at least one subscriber. */
  get size(): number {
    return this.topics.size
  }
}
