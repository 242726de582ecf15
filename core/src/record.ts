import { MissingKeyError, UnsupportedValueError } from './errors.js'
import { isPlainObject, type JsonObject } from './json.js'
import { isKey, keyId, type Key } from './keys.js'

/** A record checked for writing: its key, the id it is stored under, the value. */
export interface CheckedRecord {
  key: Key
  id: string
  value: JsonObject
}

/**
 * Checks that `data` can be written as a record: a plain object with a string or finite number in
 * its `keyName` field. Throws the typed error a caller would expect; changes nothing. That the rest
 * is JSON is checked by the mirror's write (`Mirror.write`), which checks only what it will write:
 * the parts equal to what the mirror holds are JSON already.
 */
export function checkRecord(data: unknown, keyName: string): CheckedRecord {
  if (!isPlainObject(data)) throw new UnsupportedValueError('a record must be a plain object')
  const key = data[keyName]
  if (key === undefined || key === null) throw new MissingKeyError(`the record has no "${keyName}" field`)
  if (!isKey(key)) throw new UnsupportedValueError(`the "${keyName}" field must be a string or a finite number`)
  return { key, id: keyId(key), value: data }
}

/**
 * Checks a patch for the record stored under `storedKey`: a plain object that leaves the key field
 * alone (or repeats it). Throws `UnsupportedValueError`; changes nothing. Its values are checked
 * by the mirror when it plans the patch.
 */
export function checkPatch(partial: unknown, keyName: string, storedKey: Key): JsonObject {
  if (!isPlainObject(partial)) throw new UnsupportedValueError('a patch must be a plain object')
  if (Object.hasOwn(partial, keyName) && partial[keyName] !== storedKey)
    throw new UnsupportedValueError(`a patch cannot change or delete the "${keyName}" field`)
  return partial
}
