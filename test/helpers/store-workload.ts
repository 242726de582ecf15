// The frames and snapshots of the store crash test: each frame carries its sequence number and a
// body derived from it, so a reader can check every byte; a snapshot says how many frames it covers.

/** The seeded PRNG the workload draws from (the crash test and its child share the seed). */
export { mulberry32 as prng } from './prng.js'

/** The length of frame `seq`'s body: 0 to 599 bytes, fixed by `seq`. */
export function bodyLength(seq: number): number {
  return (Math.imul(seq + 1, 2654435761) >>> 0) % 600
}

export function writerFrame(seq: number): Uint8Array {
  const n = bodyLength(seq)
  const out = new Uint8Array(4 + n)
  new DataView(out.buffer).setUint32(0, seq, true)
  for (let i = 0; i < n; i++) out[4 + i] = (seq * 31 + i) & 0xff
  return out
}

/** The sequence number of a frame, after checking its whole body. */
export function decodeWriterFrame(frame: Uint8Array): number {
  if (frame.length < 4) throw new Error(`frame of ${frame.length} bytes`)
  const seq = new DataView(frame.buffer, frame.byteOffset, frame.length).getUint32(0, true)
  const expected = writerFrame(seq)
  if (frame.length !== expected.length || !frame.every((b, i) => b === expected[i])) {
    throw new Error(`frame ${seq} has the wrong body`)
  }
  return seq
}

/** A snapshot covering frames 0..upto-1, padded with `padding` bytes so that compactions take time. */
export function writerSnapshot(upto: number, padding: number): Uint8Array {
  const out = new Uint8Array(4 + padding)
  new DataView(out.buffer).setUint32(0, upto, true)
  out.fill(0xa5, 4)
  return out
}

export function decodeWriterSnapshot(snapshot: Uint8Array): number {
  if (snapshot.length < 4 || !snapshot.subarray(4).every((b) => b === 0xa5)) throw new Error('damaged snapshot')
  return new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.length).getUint32(0, true)
}
