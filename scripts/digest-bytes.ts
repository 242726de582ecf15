// Bytes and time of one anti-entropy round (docs/anti-entropy.md, "Cost"): a digest; and when one
// record differs, the want and the records of its bucket; and the whole state a heal would carry.
//   node --import tsx scripts/digest-bytes.ts [records...]
import { encodeDigest, encodeDigestRecords, encodeDigestWant } from '../core/src/net/digest-frames.js'
import { antiEntropyHost } from '../core/src/net/replica-heal.js'
import { Replica } from '../core/src/net/replica.js'
import { realClock } from '../core/src/net/replica-link.js'
import { BucketIndex, bucketCountFor, bucketHashes, bucketOf, recordsIn } from '../core/src/net/record-digest.js'

const sizes = process.argv.slice(2).map(Number)
console.log('| records | buckets | digest | want (1 bucket) | digest-records (1 bucket) | round, one record differs | hash all records | digest from kept buckets | whole state (heal) |')
console.log('|---|---|---|---|---|---|---|---|---|')
for (const n of sizes.length > 0 ? sizes : [1000, 10_000]) {
  const replica = new Replica({ compacts: false, compaction: false })
  for (let i = 0; i < n; i++)
    replica.write(
      `lot-${i}`,
      { key: `lot-${i}`, title: `Lot ${i}`, last_bid: { user: `u${i % 97}`, price: i * 3, time: 1_700_000_000 + i } },
      'bench',
    )
  const host = antiEntropyHost(replica, realClock, () => true)
  const b = bucketCountFor(n)
  const records = Array.from(host.records())
  bucketHashes(records, b) // warm up
  const runs = 20
  const t0 = performance.now()
  for (let i = 0; i < runs; i++) bucketHashes(host.records(), b)
  const hashMs = (performance.now() - t0) / runs
  // what a digest costs in a room: the buckets are kept up to date per change, then folded
  const index = new BucketIndex()
  for (const [id, checksum] of records) index.set(id, checksum)
  const t1 = performance.now()
  for (let i = 0; i < runs; i++) index.bucketHashes(b)
  const foldMs = (performance.now() - t1) / runs
  const digest = encodeDigest({
    epoch: 0,
    answer: false,
    rank: 2,
    stateVector: host.stateVector(),
    fingerprint: host.fingerprint(),
    records: n,
    claims: [{ client: host.clientId(), clock: host.clockOf(host.clientId()) }],
    buckets: bucketHashes(records, b),
  }).length
  const bucket = bucketOf('lot-7', b)
  const want = encodeDigestWant(0, b, [bucket]).length
  const answer = encodeDigestRecords(0, b, host.fingerprint(), recordsIn(records, b, new Set([bucket]))).length
  const state = host.fullState().length
  console.log(
    `| ${n.toLocaleString('en')} | ${b} | ${digest} B | ${want} B | ${answer} B | ${2 * digest + want + answer} B | ${hashMs.toFixed(2)} ms | ${foldMs.toFixed(3)} ms | ${state.toLocaleString('en')} B |`,
  )
  replica.destroy()
}
