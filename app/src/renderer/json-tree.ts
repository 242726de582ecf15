/**
 * The record editor's operations as pure functions on plain JSON: every edit returns a new record
 * and leaves the old one alone, so the editor can apply an edit to the freshest copy of a record
 * (which may hold other people's changes) just before writing it.
 */
import type { JsonObject, JsonValue } from '@diffstream/core'

export type Kind = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array'
export const KINDS: readonly Kind[] = ['string', 'number', 'boolean', 'null', 'object', 'array']
export type Path = ReadonlyArray<string | number>

/** An edit that cannot be made; its message is meant for the user. */
export class TreeError extends Error {
  override name = 'TreeError'
}

export function kindOf(value: JsonValue | undefined): Kind {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'object') return 'object'
  return typeof value as 'string' | 'number' | 'boolean'
}

/** Converts a value to another kind, keeping what can be kept (`"12"` becomes `12`, `12` becomes `"12"`). */
export function convert(value: JsonValue | undefined, kind: Kind): JsonValue {
  const from = kindOf(value)
  if (from === kind) return value ?? null
  switch (kind) {
    case 'string':
      return from === 'null' ? '' : from === 'object' || from === 'array' ? JSON.stringify(value) : String(value)
    case 'number': {
      const n = typeof value === 'string' ? Number(value.trim()) : typeof value === 'boolean' ? Number(value) : NaN
      return Number.isFinite(n) && !(typeof value === 'string' && value.trim() === '') ? n : 0
    }
    case 'boolean':
      return value === 'true' || (typeof value === 'number' && value !== 0)
    case 'null':
      return null
    case 'object':
      return {}
    case 'array':
      return from === 'null' ? [] : [value ?? null]
  }
}

/** Reads what the user typed for a value of `kind`. */
export function parseTyped(text: string, kind: Kind): JsonValue {
  if (kind === 'number') {
    const n = Number(text.trim())
    if (text.trim() === '' || !Number.isFinite(n)) throw new TreeError(`"${text}" is not a number`)
    return n
  }
  if (kind === 'boolean') return text === 'true'
  if (kind === 'null') return null
  if (kind === 'string') return text
  throw new TreeError(`a ${kind} is not typed in as text`)
}

export function getAt(root: JsonValue, path: Path): JsonValue | undefined {
  let node: JsonValue | undefined = root
  for (const seg of path) {
    if (Array.isArray(node) && typeof seg === 'number') node = node[seg]
    else if (node !== null && typeof node === 'object' && !Array.isArray(node) && typeof seg === 'string')
      node = node[seg]
    else return undefined
  }
  return node
}

function guardKey(path: Path, keyName: string, what: string): void {
  if (path.length === 1 && path[0] === keyName) throw new TreeError(`the key field "${keyName}" cannot be ${what}`)
}

/** Rebuilds the containers along `path`, letting `edit` replace the parent of the last segment. */
function editParent(
  root: JsonObject,
  path: Path,
  edit: (parent: JsonObject | JsonValue[], last: string | number) => JsonObject | JsonValue[],
): JsonObject {
  if (path.length === 0) throw new TreeError('the record itself cannot be edited this way')
  const walk = (node: JsonValue | undefined, depth: number): JsonValue => {
    const seg = path[depth]!
    if (depth === path.length - 1) {
      if (Array.isArray(node) || (node !== null && typeof node === 'object'))
        return edit(node as JsonObject | JsonValue[], seg)
      throw new TreeError(`nothing to edit at ${describePath(path)}`)
    }
    if (Array.isArray(node) && typeof seg === 'number' && seg < node.length) {
      const copy = node.slice()
      copy[seg] = walk(node[seg], depth + 1)
      return copy
    }
    if (node !== null && typeof node === 'object' && !Array.isArray(node) && typeof seg === 'string' && seg in node) {
      return { ...node, [seg]: walk(node[seg], depth + 1) }
    }
    throw new TreeError(`${describePath(path.slice(0, depth + 1))} no longer exists`)
  }
  return walk(root, 0) as JsonObject
}

export function setAt(root: JsonObject, path: Path, value: JsonValue, keyName = 'key'): JsonObject {
  if (path.length === 1 && path[0] === keyName && value !== root[keyName])
    throw new TreeError(`the key field "${keyName}" cannot be changed`)
  return editParent(root, path, (parent, last) => {
    if (Array.isArray(parent)) {
      if (typeof last !== 'number' || last < 0 || last > parent.length) throw new TreeError(`no item ${String(last)}`)
      const copy = parent.slice()
      copy[last] = value
      return copy
    }
    return { ...parent, [String(last)]: value }
  })
}

export function removeAt(root: JsonObject, path: Path, keyName = 'key'): JsonObject {
  guardKey(path, keyName, 'removed')
  return editParent(root, path, (parent, last) => {
    if (Array.isArray(parent)) return parent.filter((_, i) => i !== last)
    const copy = { ...parent }
    delete copy[String(last)]
    return copy
  })
}

/** Renames an object's field in place (its position among the fields stays the same). */
export function renameAt(root: JsonObject, path: Path, name: string, keyName = 'key'): JsonObject {
  guardKey(path, keyName, 'renamed')
  const old = path[path.length - 1]
  if (typeof old !== 'string') throw new TreeError('array items have no names')
  if (name === old) return root
  if (name === '') throw new TreeError('a field needs a name')
  if (path.length === 1 && name === keyName) throw new TreeError(`"${keyName}" is the record's key field`)
  return editParent(root, path, (parent) => {
    if (Array.isArray(parent)) throw new TreeError('array items have no names')
    if (Object.prototype.hasOwnProperty.call(parent, name)) throw new TreeError(`there is already a field "${name}"`)
    const out: JsonObject = {}
    for (const [k, v] of Object.entries(parent)) out[k === old ? name : k] = v
    return out
  })
}

/** Adds a field to the object at `path` ([] is the record), or an item to the array there. */
export function addChild(root: JsonObject, path: Path, value: JsonValue, name?: string): JsonObject {
  const target = path.length === 0 ? root : getAt(root, path)
  if (Array.isArray(target)) return setAt(root, [...path, target.length], value)
  if (target === null || typeof target !== 'object') throw new TreeError(`${describePath(path)} holds no fields`)
  const field = name ?? uniqueName(target)
  if (field === '') throw new TreeError('a field needs a name')
  if (Object.prototype.hasOwnProperty.call(target, field)) throw new TreeError(`there is already a field "${field}"`)
  if (path.length === 0) return { ...root, [field]: value }
  return setAt(root, [...path, field], value)
}

export function uniqueName(obj: JsonObject, base = 'field'): string {
  for (let i = 1; ; i++) {
    const name = `${base}${i}`
    if (!Object.prototype.hasOwnProperty.call(obj, name)) return name
  }
}

export function describePath(path: Path): string {
  return path.length === 0 ? 'the record' : path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.')
}

/** A stable DOM attribute for a path: segments URI-encoded and joined by `/` (`tags/0`). */
export function encodePath(path: Path): string {
  return path.map((s) => encodeURIComponent(String(s))).join('/')
}

/** The paths whose value differs between two versions of a record (leaves, or containers added, removed or retyped). */
export function changedPaths(
  before: JsonValue | undefined,
  after: JsonValue | undefined,
  path: Path = [],
): Set<string> {
  const out = new Set<string>()
  const walk = (a: JsonValue | undefined, b: JsonValue | undefined, p: Path): void => {
    const ka = kindOf(a)
    const kb = kindOf(b)
    if (a === undefined || b === undefined || ka !== kb) {
      if (a !== b) out.add(encodePath(p))
      return
    }
    if (ka === 'object') {
      const oa = a as JsonObject
      const ob = b as JsonObject
      for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) walk(oa[k], ob[k], [...p, k])
    } else if (ka === 'array') {
      const aa = a as JsonValue[]
      const ab = b as JsonValue[]
      for (let i = 0; i < Math.max(aa.length, ab.length); i++) walk(aa[i], ab[i], [...p, i])
    } else if (a !== b) out.add(encodePath(p))
  }
  walk(before, after, path)
  return out
}

export type ParseResult = { ok: true; value: JsonObject } | { ok: false; error: string }

function position(text: string, message: string): string {
  const at = /position (\d+)/.exec(message)
  if (!at) return message
  const offset = Number(at[1])
  const before = text.slice(0, offset).split('\n')
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}: ${message.replace(/\s*in JSON at position \d+.*$/, '')}`
}

/**
 * Checks a record typed as raw JSON before anything is written: it must parse, be an object, and
 * keep the record's key (a missing key field is filled in).
 */
export function parseRecordJson(text: string, keyName: string, key: string | number): ParseResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { ok: false, error: `Not valid JSON — ${position(text, err instanceof Error ? err.message : String(err))}` }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'A record must be a JSON object ({ … })' }
  }
  const record = value as JsonObject
  if (record[keyName] === undefined) return { ok: true, value: { [keyName]: key, ...record } }
  if (String(record[keyName]) !== String(key)) {
    return {
      ok: false,
      error: `The key field "${keyName}" must stay ${JSON.stringify(key)}; create a new record to copy this one`,
    }
  }
  return { ok: true, value: record }
}
