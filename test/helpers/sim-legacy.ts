// A peer that cannot follow epochs, in the simulated network: a bare Yjs document speaking the
// y-protocols sync frames, as a y-webrtc 10.x peer does — it writes the dict's records as plain
// Y.Maps (no stamps of its own, native deletes), and relays every update to its other links. When
// a DiffStream replica it is linked to moves to another epoch, the replica drops the link and this
// peer starts over with an empty document (docs/compaction.md, "Known limits").
import * as Y from 'yjs'
import { decodeFrame, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from '../../core/src/net/frames.js'
import type { JsonObject } from '../../core/src/json.js'
import { materialize } from '../../core/src/materialize.js'
import { ROOT_NAME } from '../../core/src/root.js'

/** Somewhere to send frames to one replica. */
export interface LegacyLink {
  send(frame: Uint8Array): void
}

export class LegacyPeer {
  doc!: Y.Doc
  private readonly links = new Set<LegacyLink>()
  /** Starts over (empty document) this many times so far. */
  resets = 0

  constructor(private readonly random: () => number) {
    this.reset()
  }

  get root(): Y.Map<unknown> {
    return this.doc.getMap(ROOT_NAME)
  }

  get clientID(): number {
    return this.doc.clientID
  }

  /** Drops its document: what it holds that no replica accepted is gone, as for a y-webrtc client that rejoins. */
  reset(): void {
    this.doc?.destroy()
    this.doc = new Y.Doc()
    this.doc.clientID = Math.floor(this.random() * 0xffffffff) >>> 0
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      for (const l of this.links) if (l !== origin) l.send(encodeUpdate(update))
    })
    this.resets++
  }

  open(link: LegacyLink): void {
    this.links.add(link)
    link.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
  }

  close(link: LegacyLink): void {
    this.links.delete(link)
  }

  receive(link: LegacyLink, bytes: Uint8Array): void {
    const frame = decodeFrame(bytes)
    if (frame.kind === 'sync-step1') link.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, frame.stateVector)))
    else if (frame.kind === 'sync-step2' || frame.kind === 'update') Y.applyUpdate(this.doc, frame.update, link)
    // epoch frames and anything else: a y-webrtc peer does not know them
  }

  read(rec: string): JsonObject | undefined {
    const v = this.root.get(rec)
    if (!(v instanceof Y.Map)) return undefined
    return materialize(v) as JsonObject
  }

  *records(): IterableIterator<string> {
    for (const [k, v] of this.root.entries()) if (v instanceof Y.Map) yield k
  }

  /** Sets one field (creating the record as a plain Y.Map when it holds none). */
  set(rec: string, field: string, value: string): void {
    this.doc.transact(() => {
      const current = this.root.get(rec)
      if (current instanceof Y.Map) current.set(field, value)
      else this.root.set(rec, new Y.Map<unknown>([['key', rec], [field, value]]))
    })
  }

  /** Removes a field or deletes a record, natively (`Y.Map.delete`). */
  remove(rec: string, field: string | null): boolean {
    const current = this.root.get(rec)
    if (!(current instanceof Y.Map)) return false
    if (field === null) this.root.delete(rec)
    else if (current.has(field)) current.delete(field)
    else return false
    return true
  }
}
