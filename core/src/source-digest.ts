/**
 * What the sender of a `ret` message holds, so that the receiver can tell, after applying it,
 * whether it still differs from the sender (docs/integrity.md). Sent by `DiffCache.retran`.
 */
export interface SourceDigest {
  /** The sender's Yjs state vector (client id → clock) in the message's epoch. */
  readonly stateVector: ReadonlyMap<number, number>
  /**
   * The client ids whose clocks the sender vouches for: nobody can hold more of their changes than
   * the sender. `'all'` from a producer, the stream's only writer; a peer vouches for the ids it
   * wrote under in this epoch and for the epoch's base.
   */
  readonly writers: 'all' | readonly number[]
  /** How many live records the sender holds. */
  readonly records: number
  /** The tree hash of the sender's whole dict as one object keyed by record key (docs/wire.md). */
  readonly digest: number
  /**
   * Each record's share of `digest` (its key and checksum hashed together), so that the receiver
   * can name the records that differ; null when the sender holds more than 4 096 records.
   */
  readonly shares: readonly number[] | null
}
