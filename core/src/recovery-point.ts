import * as Y from 'yjs'

/** Log bytes allowed beyond twice the snapshot's size before a new snapshot is taken. */
const SLACK_BYTES = 1024 * 1024
/** An empty document's state: no structs, no deletes. */
const EMPTY_STATE_BYTES = 2

/**
 * A way back to the last accepted state of a document, since Yjs cannot roll back an update: an
 * encoded snapshot plus the updates accepted since. Updates that only add (no deletes: new records,
 * the pieces of an initial sync) stay in the state as they are, so the log of those is no waste;
 * updates that overwrite leave tombstones behind, and once they outweigh twice the state's size
 * (snapshot plus additions) a new snapshot is taken. Keeping it costs O(1) amortized per byte and a
 * few times the encoded state in memory — far less than a second live document — and an initial
 * sync, however large, is never encoded again while it arrives (which would be one long task).
 */
export class RecoveryPoint {
  private snapshot: Uint8Array
  private log: Uint8Array[] = []
  /** Bytes of the logged updates that only add, and of those that also delete. */
  private addedBytes = 0
  private overwriteBytes = 0

  /** `state`: the document's whole state as an update, when the caller has it (no encode then). */
  constructor(doc: Y.Doc, state?: Uint8Array) {
    this.snapshot = state ?? Y.encodeStateAsUpdate(doc)
  }

  /** Notes an update that `doc` accepted. */
  record(update: Uint8Array, doc: Y.Doc): void {
    if (this.snapshot.length <= EMPTY_STATE_BYTES && this.log.length === 0) {
      // The first update into an empty document (an initial sync) is the state itself: it becomes
      // the snapshot, instead of being encoded again when the next small update arrives.
      this.snapshot = update
      return
    }
    this.log.push(update)
    // A v1 update ends with its delete set; without deletes that is the single byte 0 (no client),
    // while a range's length (at least 1) never ends in a 0 byte.
    if (update[update.length - 1] === 0) this.addedBytes += update.length
    else this.overwriteBytes += update.length
    if (this.log.length > 1 && this.overwriteBytes > 2 * (this.snapshot.length + this.addedBytes) + SLACK_BYTES) {
      this.snapshot = Y.encodeStateAsUpdate(doc)
      this.log = []
      this.addedBytes = 0
      this.overwriteBytes = 0
    }
  }

  /** A new document holding exactly the accepted state, writing as `clientID`; `prepare` runs first. */
  rebuild(clientID: number, prepare: (doc: Y.Doc) => void): Y.Doc {
    const doc = new Y.Doc()
    doc.clientID = clientID
    prepare(doc)
    // One transaction per update, as they were first applied: Yjs' result can depend on it.
    Y.applyUpdate(doc, this.snapshot)
    for (const update of this.log) Y.applyUpdate(doc, update)
    return doc
  }
}
