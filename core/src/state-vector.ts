import { ByteReader } from './byte-reader.js'
import { pushVarUint } from './byte-writer.js'
import { InvalidMessageError } from './errors.js'

/**
 * Decodes an untrusted Yjs state vector (varuint count, then client/clock pairs) with bounds
 * checks; lib0's own decoder would loop on crafted bytes. Throws `InvalidMessageError`.
 */
export function decodeStateVector(bytes: Uint8Array): Map<number, number> {
  if (!(bytes instanceof Uint8Array)) throw new InvalidMessageError('a state vector must be a Uint8Array')
  const r = new ByteReader(bytes)
  const n = r.count(2)
  const sv = new Map<number, number>()
  for (let i = 0; i < n; i++) sv.set(r.varUint(), r.varUint())
  if (r.remaining !== 0) r.fail('trailing bytes after the state vector')
  return sv
}

/** Encodes a state vector as Yjs does. */
export function encodeStateVector(sv: Map<number, number>): Uint8Array {
  const out: number[] = []
  pushVarUint(out, sv.size)
  for (const [client, clock] of sv) {
    pushVarUint(out, client)
    pushVarUint(out, clock)
  }
  return Uint8Array.from(out)
}
