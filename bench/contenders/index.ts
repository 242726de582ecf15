import type { Contender } from '../contender.js'
import { Automerge } from './automerge.js'
import { DiffStream } from './diffstream.js'
import { FullJson } from './full-json.js'
import { JsonDiffPatch } from './jsondiffpatch.js'
import { JsonPatch } from './json-patch.js'
import { Loro } from './loro.js'
import { RawYjs } from './raw-yjs.js'

/** Every contender by id, in table order. */
export const CONTENDERS: Readonly<Record<string, () => Contender>> = {
  'full-json': () => new FullJson(),
  'json-patch': () => new JsonPatch(false),
  'json-patch-in-place': () => new JsonPatch(true),
  jsondiffpatch: () => new JsonDiffPatch(),
  'raw-yjs': () => new RawYjs(),
  automerge: () => new Automerge(),
  loro: () => new Loro(),
  diffstream: () => new DiffStream(true),
  'diffstream-no-compaction': () => new DiffStream(false),
}

export function createContender(id: string): Contender {
  const make = CONTENDERS[id]
  if (!make) throw new Error(`unknown contender ${id}; known: ${Object.keys(CONTENDERS).join(', ')}`)
  return make()
}
