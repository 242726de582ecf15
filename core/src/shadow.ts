import * as Y from 'yjs'
import { hashJson } from './hash.js'
import { materialize } from './materialize.js'
import { ROOT_NAME, type Mirror } from './mirror.js'
import { StateFingerprint } from './state-fingerprint.js'

/**
 * A second document that follows the mirror, so that a remote update can be tried before it
 * touches the mirror. Yjs cannot roll back an applied update, and an update can fail half-way or
 * produce a record that does not match its checksum; trying it here first keeps the mirror exactly
 * as it was whenever a message is refused.
 */
export class Shadow {
  private doc!: Y.Doc
  private state!: StateFingerprint

  constructor(private readonly mirror: Mirror) {
    this.copyMirror()
  }

  /** Fingerprint of the shadow's state, as `Mirror.fingerprint`. */
  fingerprint(): number {
    return this.state.value()
  }

  /** Applies `update` to the shadow; on any exception the shadow is rebuilt and the error rethrown. */
  apply(update: Uint8Array): void {
    try {
      Y.applyUpdate(this.doc, update)
    } catch (err) {
      this.reset()
      throw err
    }
  }

  /** Hash of record `id` as the shadow holds it. */
  recordHash(id: string): number {
    const value = this.doc.getMap(ROOT_NAME).get(id)
    return hashJson(value === undefined ? undefined : materialize(value))
  }

  /** Throws away what was tried and copies the mirror again. */
  reset(): void {
    this.doc.destroy()
    this.copyMirror()
  }

  destroy(): void {
    this.doc.destroy()
  }

  private copyMirror(): void {
    this.doc = new Y.Doc()
    Y.applyUpdate(this.doc, this.mirror.diff())
    this.state = new StateFingerprint(this.doc, this.mirror.deletedHash)
  }
}
