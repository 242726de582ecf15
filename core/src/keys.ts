import { UnsupportedValueError } from './errors.js'

/** A record key: a string or a finite number. `314159` and `'314159'` name the same record. */
export type Key = string | number
/** What the lookup methods accept as a key: also the key's UTF-8 bytes. */
export type KeyLike = Key | Uint8Array

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The string a key is stored under in the mirror. */
export function keyId(key: unknown): string {
  if (typeof key === 'string') return key
  if (typeof key === 'number' && Number.isFinite(key)) return String(key)
  if (key instanceof Uint8Array) {
    try {
      return utf8.decode(key)
    } catch {
      throw new UnsupportedValueError('a key given as bytes must be UTF-8')
    }
  }
  throw new UnsupportedValueError(`a key must be a string or a finite number, not ${describe(key)}`)
}

/** Whether `key` can be a record key. */
export function isKey(key: unknown): key is Key {
  return typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'number') return String(v)
  return typeof v
}
