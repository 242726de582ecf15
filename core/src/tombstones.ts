import * as Y from 'yjs'

/*
 * A deletion in the dict is written as `undefined` at its key (a tombstone): it carries a stamp,
 * so that a copy coming back from a partition knows the deletion came after what it holds
 * (docs/compaction.md). Readers skip tombstones as they skip deleted items.
 */

/** Whether a map item holds a value: neither deleted nor a tombstone. */
export function holdsValue(item: Y.Item): boolean {
  if (item.deleted) return false
  const c = item.content
  return !(c instanceof Y.ContentAny) || c.arr[c.arr.length - 1] !== undefined
}
