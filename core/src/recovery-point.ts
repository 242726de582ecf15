import * as Y from 'yjs'

/** Log bytes allowed beyond twice the snapshot's size before a new snapshot is taken. */
const SLACK_BYTES = 1024 * 1024
/** An empty document's state: no structs, no deletes. */
const EMPTY_STATE_BYTES = 2

/**
 * A way back to the last accepted state of a document, since Yjs cannot roll back an update: an
 * encoded snapshot plus the updates accepted since. A new snapshot is taken once the log outgrows
 * twice the snapshot, so keeping it costs O(1) amortized per byte and a few times the encoded state
 * in memory — far less than a second live document. A single large update (an initial sync) stays
 * in the log as it came instead of being encoded again at once.
 */
export class RecoveryPoint {
  private snapshot: Uint8Array
  private log: Uint8Array[] = []
  private logBytes = 0

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
    this.logBytes += update.length
    if (this.log.length > 1 && this.logBytes > 2 * this.snapshot.length + SLACK_BYTES) {
      this.snapshot = Y.encodeStateAsUpdate(doc)
      this.log = []
      this.logBytes = 0
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
