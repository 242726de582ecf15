import { createHash } from 'node:crypto'
import type { JsonObject, Key } from '@diffstream/core'
import jsonpatch, { type Operation } from 'fast-json-patch'

// fast-json-patch is CommonJS whose named exports Node cannot detect: take them from the default export.
const { applyPatch, compare } = jsonpatch
import { keyId, utf8Decoder, utf8Encoder, type BenchRecord, type Contender } from '../contender.js'
import { restoreJson, snapshotJson } from './json-util.js'

/** The original's message, as JSON: `new` carries the record, `upd` an RFC 6902 patch plus md5. */
type PatchMsg =
  { cmd: 'new'; key: Key; data: JsonObject } | { cmd: 'upd'; key: Key; patch: Operation[]; checksum: string }

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex')
}

function isPatchMsg(v: unknown): v is PatchMsg {
  if (typeof v !== 'object' || v === null) return false
  const m = v as Record<string, unknown>
  if (typeof m['key'] !== 'string' && typeof m['key'] !== 'number') return false
  if (m['cmd'] === 'new') return typeof m['data'] === 'object' && m['data'] !== null
  return m['cmd'] === 'upd' && Array.isArray(m['patch']) && typeof m['checksum'] === 'string'
}

/**
 * The original Python DiffStream's method, with fast-json-patch:
 * - producer: keeps a deep copy of the previous version of each record (made from the same
 *   `JSON.stringify` that feeds the md5, so the copy costs one `JSON.parse`), sends
 *   `{cmd:'upd', key, patch: compare(prev, next), checksum: md5hex(JSON.stringify(next))}` as JSON;
 * - consumer: parses, applies the patch, recomputes md5 of `JSON.stringify(result)` and compares.
 *
 * `inPlace: false` (the original's semantics: Python `jsonpatch.apply` deep-copies unless
 * `in_place=True`) applies the patch to a clone, so a patch that fails or a checksum that does not
 * match leaves the consumer's copy untouched, the same guarantee DiffStream gives.
 * `inPlace: true` mutates the stored copy: faster, but a mismatch leaves a corrupted copy behind.
 */
export class JsonPatch implements Contender {
  readonly name: string
  readonly description: string
  private prev = new Map<string, JsonObject>()
  private store = new Map<string, JsonObject>()

  constructor(private readonly inPlace: boolean) {
    this.name = inPlace ? 'JSON Patch (in place)' : 'JSON Patch (original)'
    this.description = inPlace
      ? 'as the original, but applyPatch mutates the consumer copy in place (no rollback on a bad checksum)'
      : 'fast-json-patch compare + md5; consumer applies to a clone (as Python jsonpatch.apply did), checks md5, then swaps'
  }

  setup(): void {
    this.prev = new Map()
    this.store = new Map()
  }

  produce(record: BenchRecord): Uint8Array {
    const id = keyId(record.key)
    const old = this.prev.get(id)
    const json = JSON.stringify(record)
    this.prev.set(id, JSON.parse(json) as JsonObject)
    const msg: PatchMsg =
      old === undefined
        ? { cmd: 'new', key: record.key, data: record }
        : { cmd: 'upd', key: record.key, patch: compare(old, record), checksum: md5(json) }
    return utf8Encoder.encode(JSON.stringify(msg))
  }

  consume(bytes: Uint8Array): void {
    const msg: unknown = JSON.parse(utf8Decoder.decode(bytes))
    if (!isPatchMsg(msg)) throw new Error('JSON Patch: malformed message')
    const id = keyId(msg.key)
    if (msg.cmd === 'new') {
      this.store.set(id, msg.data)
      return
    }
    const current = this.store.get(id)
    if (current === undefined) throw new Error(`JSON Patch: upd for unknown key ${id}`)
    const next = applyPatch(current, msg.patch, false, this.inPlace).newDocument
    if (md5(JSON.stringify(next)) !== msg.checksum) throw new Error(`JSON Patch: checksum mismatch for ${id}`)
    this.store.set(id, next)
  }

  read(key: Key): unknown {
    return this.store.get(keyId(key))
  }

  /** The original retransmitted whole records: every record the producer holds, as JSON. */
  snapshot(): Uint8Array {
    return snapshotJson(this.prev.values())
  }

  restore(bytes: Uint8Array): (key: Key) => unknown {
    return restoreJson(bytes)
  }
}
