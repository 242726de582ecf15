import type { UpdateInspection } from '../update-inspect.js'
import type { EpochInfo } from '../epoch.js'
import { baseBytes, batchBytes, bindingBytes, type BaseSignature, type SignedBatch, type WriterBinding } from './writer-frames.js'
import { fromBase64Url, importPrivateKey, publicKeyBytes, sign, type WriterKeyPair } from './writer-key.js'

/** A signed batch with what the replica needs of it: the clients whose structs it carries, their ranges. */
export interface CheckedBatch {
  readonly batch: SignedBatch
  readonly ranges: UpdateInspection['ranges']
}

/** Makes this writer's bindings and signs its batches, one at a time, in order. */
export class BatchSigner {
  private readonly privateKey: Promise<CryptoKey>
  readonly publicKey: Uint8Array

  constructor(
    private readonly room: string,
    pair: WriterKeyPair,
  ) {
    this.publicKey = publicKeyBytes(pair.publicKey)
    fromBase64Url(pair.privateKey)
    this.privateKey = importPrivateKey(pair)
  }

  /** Resolves once the private key imported; rejects when it does not (not a PKCS#8 Ed25519 key). */
  ready(): Promise<unknown> {
    return this.privateKey
  }

  async bind(client: number): Promise<WriterBinding> {
    const signature = await sign(await this.privateKey, bindingBytes(this.room, this.publicKey, client))
    return { publicKey: this.publicKey, client, signature }
  }

  async signBase(info: EpochInfo, signer: number, state: Uint8Array): Promise<BaseSignature> {
    const sig = { epoch: info.epoch, parent: info.parent, cutState: info.cutState, signer }
    return { ...sig, signature: await sign(await this.privateKey, baseBytes(this.room, sig, state)) }
  }

  async sign(epoch: number, signer: number, update: Uint8Array): Promise<SignedBatch> {
    const signature = await sign(await this.privateKey, batchBytes(this.room, epoch, signer, update))
    return { epoch, signer, signature, update }
  }
}

/** Most update bytes the log keeps (docs/writers.md, Limits). */
export const MAX_LOG_BYTES = 64 * 1024 * 1024

/**
 * The signed batches this copy applied in the current epoch, in order: what it answers a sync step 1
 * with, so that catch-up carries the writers' signatures even through copies that never wrote.
 */
export class SignedLog {
  private entries: CheckedBatch[] = []
  private bytes = 0
  full = false

  /** Keeps a batch; false when the log is full (the caller warns once). */
  add(entry: CheckedBatch): boolean {
    if (this.bytes + entry.batch.update.length > MAX_LOG_BYTES) {
      const first = !this.full
      this.full = true
      return !first
    }
    this.entries.push(entry)
    this.bytes += entry.batch.update.length
    return true
  }

  /** The batches that hold structs beyond `sv` (and those without structs), in order. */
  missing(sv: Map<number, number>): CheckedBatch[] {
    return this.entries.filter((e) => {
      if (e.ranges.size === 0) return true
      for (const [client, range] of e.ranges) if (range.end > (sv.get(client) ?? 0)) return true
      return false
    })
  }

  clear(): void {
    this.entries = []
    this.bytes = 0
    this.full = false
  }
}
