import { fmix, stringHash } from '../hash.js'

/*
 * Record and bucket hashes of a room's anti-entropy digest (docs/anti-entropy.md). A record's hash
 * joins its id and its checksum (docs/wire.md); a bucket's hash is the sum of its records' hashes,
 * so it needs no sorting and a changed record changes one bucket.
 */

/** At most this many buckets in a digest. */
export const MAX_BUCKETS = 4096
/** About this many records per bucket. */
const RECORDS_PER_BUCKET = 64

/** A record as a digest sees it: its id and its checksum. */
export type RecordSum = readonly [id: string, checksum: number]

export const recordHash = (id: string, checksum: number): number => fmix((stringHash(id) ^ checksum) >>> 0)

export const bucketOf = (id: string, buckets: number): number => stringHash(id) & (buckets - 1)

/** Whether `n` is a bucket count a digest may carry: a power of two, 1 to MAX_BUCKETS. */
export const validBucketCount = (n: number): boolean => n >= 1 && n <= MAX_BUCKETS && (n & (n - 1)) === 0

/** The bucket count a sender picks for `records` records. */
export function bucketCountFor(records: number): number {
  let b = 1
  while (b < MAX_BUCKETS && b * RECORDS_PER_BUCKET < records) b *= 2
  return b
}

/** The hash of every bucket, with `buckets` buckets. */
export function bucketHashes(records: Iterable<RecordSum>, buckets: number): Uint32Array {
  const out = new Uint32Array(buckets)
  for (const [id, checksum] of records) {
    const b = bucketOf(id, buckets)
    out[b] = (out[b]! + recordHash(id, checksum)) >>> 0
  }
  return out
}

/** The indices of the buckets whose hashes differ. */
export function differingBuckets(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = []
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i)
  return out
}

/** Every record of the buckets `wanted`, as (id, record hash). */
export function recordsIn(records: Iterable<RecordSum>, buckets: number, wanted: ReadonlySet<number>): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (const [id, checksum] of records) if (wanted.has(bucketOf(id, buckets))) out.push([id, recordHash(id, checksum)])
  return out
}

/** The ids whose hashes differ between two lists of the same buckets, or that only one holds. */
export function differingRecords(mine: Array<[string, number]>, theirs: Array<[string, number]>): string[] {
  const other = new Map(theirs)
  const out: string[] = []
  for (const [id, h] of mine) {
    if (other.get(id) !== h) out.push(id)
    other.delete(id)
  }
  for (const id of other.keys()) out.push(id)
  return out.sort()
}

/**
 * Bucket hashes kept up to date record by record, so that a digest of a large dict costs its
 * buckets, not a walk over every record. Sums are kept at MAX_BUCKETS resolution; a digest with
 * fewer buckets folds them (a record's bucket for `b` buckets is the low bits of its one here).
 */
export class BucketIndex {
  private readonly hashes = new Map<string, number>()
  private readonly sums = new Uint32Array(MAX_BUCKETS)

  /** Record `id` now has this checksum, or is gone (undefined). */
  set(id: string, checksum: number | undefined): void {
    const bucket = bucketOf(id, MAX_BUCKETS)
    const old = this.hashes.get(id)
    if (old !== undefined) this.sums[bucket] = (this.sums[bucket]! - old) >>> 0
    if (checksum === undefined) {
      this.hashes.delete(id)
      return
    }
    const h = recordHash(id, checksum)
    this.hashes.set(id, h)
    this.sums[bucket] = (this.sums[bucket]! + h) >>> 0
  }

  clear(): void {
    this.hashes.clear()
    this.sums.fill(0)
  }

  get size(): number {
    return this.hashes.size
  }

  /** The hash of every bucket, with `buckets` buckets (what `bucketHashes` gives for the same records). */
  bucketHashes(buckets: number): Uint32Array {
    const out = new Uint32Array(buckets)
    for (let i = 0; i < MAX_BUCKETS; i++) out[i & (buckets - 1)] = (out[i & (buckets - 1)]! + this.sums[i]!) >>> 0
    return out
  }
}
