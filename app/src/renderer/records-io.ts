/** Import and export of a room's records as a JSON file. */
import type { JsonObject, JsonValue } from '@diffstream/core'

export class ImportError extends Error {
  override name = 'ImportError'
}

function isObject(v: JsonValue | unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function isKey(v: unknown): v is string | number {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
}

/**
 * Reads an exported file: either a dict `{ key: record }` (what export writes; a record without
 * its key field gets the dict's key) or an array of records that each carry their key.
 */
export function parseImport(text: string, keyName: string): JsonObject[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new ImportError(`The file is not valid JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  const records: JsonObject[] = []
  if (Array.isArray(data)) {
    data.forEach((r: unknown, i) => {
      if (!isObject(r)) throw new ImportError(`Item ${i} is not an object`)
      if (!isKey(r[keyName])) throw new ImportError(`Item ${i} has no "${keyName}" (a string or a number)`)
      records.push(r)
    })
  } else if (isObject(data)) {
    for (const [k, r] of Object.entries(data)) {
      if (!isObject(r)) throw new ImportError(`The value of "${k}" is not an object`)
      if (r[keyName] !== undefined && !isKey(r[keyName]))
        throw new ImportError(`"${k}" has a "${keyName}" that is not a string or a number`)
      if (r[keyName] !== undefined && String(r[keyName]) !== k)
        throw new ImportError(`"${k}" holds the record of key "${String(r[keyName])}"`)
      records.push(r[keyName] === undefined ? { [keyName]: k, ...r } : r)
    }
  } else {
    throw new ImportError('The file must hold an object of records by key, or an array of records')
  }
  return records
}

/** The room as `{ key: record }`, pretty-printed. */
export function exportJson(records: Iterable<JsonObject>, keyName: string): string {
  const out: Record<string, JsonObject> = {}
  for (const r of records) out[String(r[keyName])] = r
  return `${JSON.stringify(out, null, 2)}\n`
}

export function exportFileName(room: string, now = new Date()): string {
  const safe = room.replace(/[^\w-]+/g, '_').replace(/^_+|_+$/g, '') || 'room'
  return `${safe}-${now.toISOString().slice(0, 10)}.json`
}
