import { UnsupportedValueError } from './errors.js'

/** A JSON primitive. */
export type JsonPrimitive = string | number | boolean | null
/** Any JSON value. */
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject
/** A JSON object. Properties whose value is `undefined` are treated as absent, as `JSON.stringify` does. */
export interface JsonObject {
  /** Any field holds any JSON value. */
  [field: string]: JsonValue | undefined
}

/** How deep a value may nest; deeper values are refused rather than risking the stack. */
export const MAX_DEPTH = 256

type MaybeWellFormed = { isWellFormed?: () => boolean }
const hasWellFormed = typeof ('' as MaybeWellFormed).isWellFormed === 'function'
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Strings travel as UTF-8; a lone surrogate would arrive as U+FFFD, so it is refused up front. */
function wellFormed(s: string): boolean {
  return hasWellFormed ? (s as MaybeWellFormed).isWellFormed!() : !loneSurrogate.test(s)
}

/** Whether `v` is a plain object (not an array, not a class instance). */
export function isPlainObject(v: unknown): v is JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/**
 * Throws {@link UnsupportedValueError} naming the path of the first part of `value` that is not
 * JSON. Runs before any change is made, so a refused value changes nothing.
 */
export function assertJson(value: unknown, path = '$'): asserts value is JsonValue {
  const stack = new Set<object>()
  const visit = (v: unknown, at: string, depth: number): void => {
    switch (typeof v) {
      case 'string':
        if (!wellFormed(v)) throw new UnsupportedValueError(`${at}: string holds a lone surrogate`)
        return
      case 'boolean':
        return
      case 'number':
        if (!Number.isFinite(v)) throw new UnsupportedValueError(`${at}: ${v} is not a JSON number`)
        return
      case 'object':
        break
      default:
        throw new UnsupportedValueError(`${at}: a ${typeof v} is not JSON`)
    }
    if (v === null) return
    if (depth > MAX_DEPTH) throw new UnsupportedValueError(`${at}: nested deeper than ${MAX_DEPTH}`)
    if (stack.has(v)) throw new UnsupportedValueError(`${at}: cycle`)
    stack.add(v)
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i]
        if (item === undefined) throw new UnsupportedValueError(`${at}[${i}]: undefined in an array`)
        visit(item, `${at}[${i}]`, depth + 1)
      }
    } else if (isPlainObject(v)) {
      for (const k of Object.keys(v)) {
        if (!wellFormed(k)) throw new UnsupportedValueError(`${at}: field name holds a lone surrogate`)
        const field = v[k]
        if (field !== undefined) visit(field, `${at}.${k}`, depth + 1)
      }
    } else {
      const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name
      throw new UnsupportedValueError(`${at}: a ${name ?? 'class'} instance is not JSON`)
    }
    stack.delete(v)
  }
  visit(value, path, 0)
}

/** Sets a field without tripping the `__proto__` setter, which JSON allows as an ordinary name. */
export function setField(obj: JsonObject, field: string, value: JsonValue): void {
  if (field === '__proto__')
    Object.defineProperty(obj, field, { value, enumerable: true, writable: true, configurable: true })
  else obj[field] = value
}

/** A deep copy of a JSON value (undefined fields dropped). */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((v) => cloneJson(v)) as T
  const out: JsonObject = {}
  for (const k of Object.keys(value)) {
    const v = value[k]
    if (v !== undefined) setField(out, k, cloneJson(v))
  }
  return out as T
}
