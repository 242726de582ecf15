import { createHash } from 'node:crypto'
import jsonpatch from 'fast-json-patch'
import type { BenchRecord } from './contender.js'
import type { Workload } from './workloads/workload.js'

const { compare } = jsonpatch

/**
 * Python's `json.dumps` with its defaults (`", "` and `": "` separators, `ensure_ascii=True`), for
 * the JSON values the workloads use (integers, ASCII or not strings, booleans, null, arrays, objects).
 */
export function pythonJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') return String(v) // same as Python's repr for the workloads' integers
  if (typeof v === 'string')
    return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  if (Array.isArray(v)) return `[${v.map(pythonJsonDumps).join(', ')}]`
  const o = v as Record<string, unknown>
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .map((k) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(o[k])}`)
    .join(', ')}}`
}

/**
 * Bytes of the original Python DiffStream's `upd` message for `next` following `prev`:
 * `json.dumps(["u", key, json.dumps(patch), md5(json.dumps(next))])`, the patch double-encoded as
 * a string. The ops come from fast-json-patch; Python's jsonpatch emits the same ops for the
 * workloads' object edits (array edits may differ). A reference figure, not a contender.
 */
export function originalUpdBytes(prev: BenchRecord, next: BenchRecord): number {
  const md5 = createHash('md5').update(pythonJsonDumps(next)).digest('hex')
  const patch = compare(prev, next)
  return Buffer.byteLength(pythonJsonDumps(['u', next.key, pythonJsonDumps(patch), md5]))
}

/** Mean bytes of the original's `upd` messages over a workload's updates. */
export function originalMeanUpdBytes(w: Workload): number {
  const prev = new Map<string, BenchRecord>()
  for (const r of w.initial) prev.set(String(r.key), r)
  let total = 0
  for (const r of w.updates) {
    const id = String(r.key)
    const old = prev.get(id)
    if (!old) throw new Error(`update of ${id} before its record`)
    total += originalUpdBytes(old, r)
    prev.set(id, r)
  }
  return w.updates.length > 0 ? total / w.updates.length : 0
}
