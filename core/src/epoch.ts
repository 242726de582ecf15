/*
 * Epoch ids. A compaction starts a fresh document, a new epoch; two peers that compact the same
 * epoch at once must agree on which result wins without talking, so an id orders epochs totally:
 * the generation (how many compactions lie behind it) in the high bits, a random salt below it.
 * The larger id wins. Epoch 0 is the empty document every cache starts from.
 */

/** Salt bits under the generation; 2^32 generations still fit a safe integer. */
const SALT_BITS = 20
const SALT = 2 ** SALT_BITS

/** The generation of an epoch id: 0 for the first document, +1 per compaction. */
export function generationOf(epoch: number): number {
  return Math.floor(epoch / SALT)
}

/** A fresh id for the epoch that follows `epoch`, with a random salt so that concurrent ones differ. */
export function nextEpoch(epoch: number, random: () => number = Math.random): number {
  const salt = 1 + Math.floor(random() * (SALT - 1))
  return (generationOf(epoch) + 1) * SALT + salt
}

/** Whether `epoch` is a well-formed id. */
export function isEpoch(epoch: unknown): epoch is number {
  return typeof epoch === 'number' && Number.isSafeInteger(epoch) && epoch >= 0
}

/**
 * The Yjs client id that writes an epoch's base (its live state in one transaction). It is derived
 * from the epoch, so every copy that builds the base from the same live state gets the same bytes.
 */
export function baseClientOf(epoch: number): number {
  let h = Math.imul((epoch % 0x100000000) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.floor(epoch / 0x100000000)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  // Yjs client ids are uint32; 0 is avoided only to keep it visibly distinct.
  return h >>> 0 || 1
}

/** Which epoch a copy is in and how it got there: the epoch it compacted and the state fingerprint then. */
export interface EpochInfo {
  epoch: number
  parent: number
  cutState: number
}

/** An epoch as a store keeps it. */
export interface EpochRecord {
  info: EpochInfo
}
