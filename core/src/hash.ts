import type { JsonValue } from './json.js'

/*
 * FNV-1a over a canonical walk of the value: field names sorted, a tag per type. Cheap enough to
 * run on every update, and independent of field order, which differs between a writer's object
 * and a reader's mirror.
 */

const OFFSET = 0x811c9dc5
const PRIME = 0x01000193

function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), PRIME)
  return Math.imul(h ^ 0xff, PRIME)
}

function mix(h: number, v: JsonValue | undefined): number {
  if (v === null) return mixString(h, 'n')
  switch (typeof v) {
    case 'string':
      return mixString(Math.imul(h ^ 0x73, PRIME), v)
    case 'number':
      return mixString(Math.imul(h ^ 0x64, PRIME), String(v))
    case 'boolean':
      return mixString(h, v ? 't' : 'f')
    case 'undefined':
      return h
  }
  if (Array.isArray(v)) {
    h = Math.imul(h ^ 0x5b, PRIME)
    for (const item of v) h = mix(h, item)
    return Math.imul(h ^ 0x5d, PRIME)
  }
  h = Math.imul(h ^ 0x7b, PRIME)
  for (const k of Object.keys(v).sort()) {
    const field = v[k]
    if (field === undefined) continue
    h = mix(mixString(h, k), field)
  }
  return Math.imul(h ^ 0x7d, PRIME)
}

/** A 32-bit hash of a JSON value that ignores the order of fields. */
export function hashJson(value: JsonValue | undefined): number {
  return mix(OFFSET, value) >>> 0
}
