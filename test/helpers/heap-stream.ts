// Run with --expose-gc: streams auction updates producer → bytes → consumer and prints, as one JSON
// line, the heap after the first `early` updates and after all of them, and a newcomer's catch-up.
import { DiffCache, type JsonObject } from '@diffstream/core'
import { auctionStream } from './auction-stream.js'

const total = Number(process.argv[2] ?? 300_000)
const early = Number(process.argv[3] ?? 20_000)
const compaction = process.argv[4] !== 'off'
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

function heap(): number {
  gc!()
  gc!()
  return process.memoryUsage().heapUsed
}

const producer = DiffCache.producer(compaction ? {} : { compaction: false })
const consumer = DiffCache.consumer()
const next = auctionStream(10, 7)
let heapEarly = 0
let wireBytes = 0
for (let i = 1; i <= total; i++) {
  const bytes = producer.update(next()).encode()
  wireBytes += bytes.length
  consumer.update(bytes)
  if (i === early) heapEarly = heap()
}
const heapEnd = heap()
const keys = producer.keys()
const live: Record<string, JsonObject | undefined> = {}
let liveJson = 0
for (const k of keys) {
  live[String(k)] = producer.get(k)
  liveJson += Buffer.byteLength(JSON.stringify(producer.get(k)))
}
const newcomer = DiffCache.consumer()
const t0 = performance.now()
const ret = producer.retran(keys[0]!).encode()
newcomer.update(ret)
const catchUpMs = performance.now() - t0
const same = (c: DiffCache) =>
  keys.every((k) => JSON.stringify(c.get(k)) === JSON.stringify(live[String(k)])) && c.size === keys.length
console.log(
  JSON.stringify({
    total,
    heapEarly,
    heapEnd,
    liveJson,
    catchUpBytes: ret.length,
    catchUpMs,
    stateBytes: producer.stateBytes(),
    compactions: producer.compactions,
    epoch: producer.epoch,
    consumerEpoch: consumer.epoch,
    consumerEqual: same(consumer),
    newcomerEqual: same(newcomer),
    bytesPerUpdate: wireBytes / total,
  }),
)
