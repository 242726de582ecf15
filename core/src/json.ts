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
 * JSON. Runs before any change is made, so a refused value changes nothing. `path` and `depth`
 * say where `value` sits when it is part of a larger value.
 */
export function assertJson(value: unknown, path: string | (() => string) = '$', depth = 0): asserts value is JsonValue {
  new JsonCheck(path).visit(value, depth)
}

/**
 * The walk behind {@link assertJson}. The path of the part being checked is kept as a stack of
 * segments and only turned into text for an error: checking costs no string per field.
 */
class JsonCheck {
  private readonly stack = new Set<object>()
  private readonly segments: Array<string | number> = []

  constructor(private readonly base: string | (() => string)) {}

  private fail(what: string): never {
    let at = typeof this.base === 'string' ? this.base : this.base()
    for (const s of this.segments) at += typeof s === 'number' ? `[${s}]` : `.${s}`
    throw new UnsupportedValueError(`${at}: ${what}`)
  }

  visit(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        if (!wellFormed(v)) this.fail('string holds a lone surrogate')
        return
      case 'boolean':
        return
      case 'number':
        if (!Number.isFinite(v)) this.fail(`${v} is not a JSON number`)
        return
      case 'object':
        break
      default:
        this.fail(`a ${typeof v} is not JSON`)
    }
    if (v === null) return
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH}`)
    if (this.stack.has(v)) this.fail('cycle')
    this.stack.add(v)
    const segments = this.segments
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i]
        segments.push(i)
        if (item === undefined) this.fail('undefined in an array')
        this.visit(item, depth + 1)
        segments.pop()
      }
    } else if (isPlainObject(v)) {
      for (const k of Object.keys(v)) {
        if (!wellFormed(k)) this.fail('field name holds a lone surrogate')
        const field = v[k]
        if (field === undefined) continue
        segments.push(k)
        this.visit(field, depth + 1)
        segments.pop()
      }
    } else {
      const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name
      this.fail(`a ${name ?? 'class'} instance is not JSON`)
    }
    this.stack.delete(v)
  }
}

/** Whether a field name is valid (no lone surrogate). */
export function validFieldName(k: string): boolean {
  return wellFormed(k)
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
