import type { Contender } from '../contender.js'
import { DiffStream } from './diffstream.js'
import { FullJson } from './full-json.js'
import { JsonPatch } from './json-patch.js'
import { RawYjs } from './raw-yjs.js'

/** Every contender of the core suite by id, in table order. */
export const CONTENDERS: Readonly<Record<string, () => Contender>> = {
  'full-json': () => new FullJson(),
  'json-patch': () => new JsonPatch(false),
  'json-patch-in-place': () => new JsonPatch(true),
  'raw-yjs': () => new RawYjs(),
  diffstream: () => new DiffStream(),
}

export function createContender(id: string): Contender {
  const make = CONTENDERS[id]
  if (!make) throw new Error(`unknown contender ${id}; known: ${Object.keys(CONTENDERS).join(', ')}`)
  return make()
}
