import * as A from '@automerge/automerge'
import type { JsonObject, JsonValue, Key } from '@diffstream/core'
import { keyId, type BenchRecord, type Contender } from '../contender.js'
import { isPlainObject } from './json-util.js'

type AmDoc = Record<string, unknown>
/** A fixed actor, so every run sends the same bytes. */
const ACTOR = '9e3779b97f4a7c15f39cc0605cedc834'
const NO_CHANGE = new Uint8Array(0)

/**
 * JSON into Automerge values. Strings become `ImmutableString` (a scalar, as a JSON dict holds
 * them): a plain string is Automerge's collaborative text, one op per character, which would make
 * every replaced string cost its length in ops.
 */
function toAm(v: JsonValue): unknown {
  if (typeof v === 'string') return new A.ImmutableString(v)
  if (Array.isArray(v)) return v.map(toAm)
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v)) {
      const x = v[k]
      if (x !== undefined) out[k] = toAm(x)
    }
    return out
  }
  return v
}

/** Whether the Automerge value `cur` (read through the change proxy) already holds the JSON value `v`. */
function sameAm(cur: unknown, v: JsonValue): boolean {
  if (A.isImmutableString(cur)) return typeof v === 'string' && (cur as A.ImmutableString).val === v
  if (Array.isArray(cur)) {
    if (!Array.isArray(v) || cur.length !== v.length) return false
    for (let i = 0; i < v.length; i++) if (!sameAm(cur[i], v[i]!)) return false
    return true
  }
  if (typeof cur === 'object' && cur !== null) {
    if (!isPlainObject(v)) return false
    const o = cur as Record<string, unknown>
    const keys = Object.keys(v).filter((k) => v[k] !== undefined)
    if (keys.length !== Object.keys(o).length) return false
    for (const k of keys) if (!sameAm(o[k], v[k]!)) return false
    return true
  }
  return cur === v
}

/** Edits a list in place: changed elements set, the tail inserted or deleted. */
function writeList(list: unknown[], next: readonly JsonValue[]): void {
  const common = Math.min(list.length, next.length)
  for (let i = 0; i < common; i++) {
    const cur = list[i]
    const v = next[i]!
    if (isPlainObject(v) && typeof cur === 'object' && cur !== null && !Array.isArray(cur) && !A.isImmutableString(cur))
      writeFields(cur as AmDoc, v)
    else if (!sameAm(cur, v)) list[i] = toAm(v)
  }
  if (next.length > list.length) A.insertAt(list, list.length, ...next.slice(list.length).map(toAm))
  else if (next.length < list.length) A.deleteAt(list, next.length, list.length - next.length)
}

/** Writes only the fields that differ; nested maps and lists are edited in place. */
function writeFields(target: AmDoc, obj: JsonObject): void {
  for (const k of Object.keys(target)) if (obj[k] === undefined) delete target[k]
  for (const k of Object.keys(obj)) {
    const v = obj[k]
    if (v === undefined) continue
    const cur = target[k]
    if (isPlainObject(v) && typeof cur === 'object' && cur !== null && !Array.isArray(cur) && !A.isImmutableString(cur))
      writeFields(cur as AmDoc, v)
    else if (Array.isArray(v) && Array.isArray(cur)) writeList(cur, v)
    else if (!sameAm(cur, v)) target[k] = toAm(v)
  }
}

/**
 * Automerge 3: one document holds the dict (a map per record at the root). The producer writes
 * the changed fields in one `change` and sends `getLastLocalChange`; the consumer calls
 * `applyChanges`. A newcomer loads `save(doc)` (compressed columnar, full history).
 */
export class Automerge implements Contender {
  readonly name = 'Automerge'
  readonly description =
    'producer: changed fields in one A.change (strings as ImmutableString), bytes = getLastLocalChange; consumer: A.applyChanges'
  private producer = A.init<AmDoc>({ actor: ACTOR })
  private consumer = A.init<AmDoc>()

  setup(): void {
    this.dispose()
    this.producer = A.init<AmDoc>({ actor: ACTOR })
    this.consumer = A.init<AmDoc>()
  }

  /** One change for all records: a change per record costs O(records) each (the root map is copied). */
  load(records: readonly BenchRecord[]): number {
    this.producer = A.change(this.producer, (d) => {
      for (const r of records) d[keyId(r.key)] = toAm(r)
    })
    const change = A.getLastLocalChange(this.producer)
    if (!change) return 0
    this.consume(change)
    return change.length
  }

  produce(record: BenchRecord): Uint8Array {
    const id = keyId(record.key)
    const before = this.producer
    this.producer = A.change(before, (d) => {
      const cur = d[id]
      if (typeof cur === 'object' && cur !== null) writeFields(cur as AmDoc, record)
      else d[id] = toAm(record)
    })
    if (this.producer === before) return NO_CHANGE
    const change = A.getLastLocalChange(this.producer)
    if (!change) throw new Error('Automerge: no local change')
    return change
  }

  consume(bytes: Uint8Array): void {
    if (bytes.length === 0) return
    ;[this.consumer] = A.applyChanges(this.consumer, [bytes])
  }

  read(key: Key): unknown {
    return plain(this.consumer[keyId(key)])
  }

  snapshot(): Uint8Array {
    return A.save(this.producer)
  }

  restore(bytes: Uint8Array): (key: Key) => unknown {
    const doc = A.load<AmDoc>(bytes)
    return (key) => plain(doc[keyId(key)])
  }

  dispose(): void {
    A.free(this.producer)
    A.free(this.consumer)
  }
}

/** An Automerge value as plain JSON (ImmutableString serialises as its string). */
function plain(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v))
}
