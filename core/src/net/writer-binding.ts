import { UnauthorizedWriteError } from '../errors.js'
import { baseBytes, bindingBytes, batchBytes, type BaseSignature, type SignedBatch, type WriterBinding } from './writer-frames.js'
import { importPublicKey, publicKeyBytes, toBase64Url, verify } from './writer-key.js'

/** At most this many client ids bound in one room (a writer gets one per session and epoch). */
export const MAX_BINDINGS = 4096

/**
 * The writers of a signed room and which Yjs client ids each bound (docs/writers.md): bindings are
 * checked against the list and their signature; batches against the bindings and their signature.
 * Every check throws `UnauthorizedWriteError` when it fails.
 */
export class WriterBindings {
  /** Listed keys (base64url) and their imported form. */
  private readonly keys = new Map<string, Promise<CryptoKey>>()
  /** Client id → its binding and the key (base64url) it binds to. */
  private readonly bound = new Map<number, { binding: WriterBinding; key: string }>()

  constructor(
    readonly room: string,
    writers: readonly string[],
  ) {
    for (const w of writers) {
      const raw = publicKeyBytes(w)
      const text = toBase64Url(raw)
      if (!this.keys.has(text)) {
        const imported = importPublicKey(raw)
        imported.catch(() => undefined)
        this.keys.set(text, imported)
      }
    }
  }

  /** Whether this (base64url) public key is listed. */
  lists(publicKey: string): boolean {
    return this.keys.has(publicKey)
  }

  /** The listed key (base64url) `client` is bound to, if any. */
  keyOf(client: number): string | undefined {
    return this.bound.get(client)?.key
  }

  binding(client: number): WriterBinding | undefined {
    return this.bound.get(client)?.binding
  }

  /** Every binding held, oldest first. */
  all(): WriterBinding[] {
    return Array.from(this.bound.values(), (b) => b.binding)
  }

  /** Checks a binding and keeps it; resolves false when it was held already. */
  async accept(b: WriterBinding): Promise<boolean> {
    const key = toBase64Url(b.publicKey)
    const held = this.bound.get(b.client)
    if (held && held.key !== key)
      throw new UnauthorizedWriteError(`client ${b.client} is bound to another writer already`)
    if (held && sameBytes(held.binding.signature, b.signature)) return false
    const imported = this.keys.get(key)
    if (!imported) throw new UnauthorizedWriteError(`a binding of client ${b.client} to a key that is not a listed writer`)
    if (!(await verify(await imported, b.signature, bindingBytes(this.room, b.publicKey, b.client))))
      throw new UnauthorizedWriteError(`the binding of client ${b.client} has a bad signature`)
    if (held) return false
    if (this.bound.size >= MAX_BINDINGS) throw new UnauthorizedWriteError(`more than ${MAX_BINDINGS} bound clients`)
    this.bound.set(b.client, { binding: b, key })
    return true
  }

  /** Keeps this peer's own binding (made by its signer). */
  own(b: WriterBinding): void {
    this.bound.set(b.client, { binding: b, key: toBase64Url(b.publicKey) })
  }

  /**
   * Checks what can be checked at once: the signer is bound, and every client whose structs the
   * batch carries is bound to the same key. Returns the key to verify the signature with.
   */
  check(batch: SignedBatch, clients: Iterable<number>): string {
    const key = this.keyOf(batch.signer)
    if (key === undefined) throw new UnauthorizedWriteError(`a batch signed by client ${batch.signer}, which no writer bound`)
    for (const c of clients) {
      const k = this.keyOf(c)
      if (k === undefined) throw new UnauthorizedWriteError(`structs of client ${c}, which no writer bound`)
      if (k !== key) throw new UnauthorizedWriteError(`structs of client ${c}, bound to another writer than the signer`)
    }
    return key
  }

  /** Checks that a listed writer signed this epoch base. */
  async verifyBase(sig: BaseSignature, state: Uint8Array): Promise<void> {
    const key = this.keyOf(sig.signer)
    if (key === undefined) throw new UnauthorizedWriteError(`an epoch base signed by client ${sig.signer}, which no writer bound`)
    const imported = await this.keys.get(key)!
    if (!(await verify(imported, sig.signature, baseBytes(this.room, sig, state))))
      throw new UnauthorizedWriteError(`the base of epoch ${sig.epoch} has a bad signature`)
  }

  /** Verifies a batch's signature with `key` (from `check`). */
  async verify(batch: SignedBatch, key: string): Promise<void> {
    const imported = await this.keys.get(key)!
    const ok = await verify(imported, batch.signature, batchBytes(this.room, batch.epoch, batch.signer, batch.update))
    if (!ok) throw new UnauthorizedWriteError(`a batch signed by client ${batch.signer} has a bad signature`)
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
