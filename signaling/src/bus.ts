import type { ClusterStats } from './types.js'

/**
 * What a hub shares with the other instances of a cluster. The hub tells the bus which topics
 * have local subscribers and hands it every publish; the bus hands back the publishes of other
 * instances for topics this one holds. Implemented over Redis pub/sub by `redis-bus.ts`.
 */
export interface ClusterBus {
  /** The first local client subscribed to `topic`: start receiving it from the cluster. */
  join(topic: string): void
  /** The last local client left `topic`. */
  leave(topic: string): void
  /**
   * Sends a publish to the other instances, once whatever the number of their subscribers.
   * @param body the published object as JSON text without a `clients` field
   */
  publish(topic: string, body: string): void
  /** Where publishes from other instances go. Set once, by the hub. */
  onMessage(handler: (topic: string, body: string) => void): void
  stats(): ClusterStats
  close(): Promise<void>
}
