/**
 * Garbage a room makes per update: young-generation growth (V8 new space) around the producer's
 * `cache.update()` (and its flush and send), and around the consumer's handling of the
 * data-channel message up to its `change` listeners. Two rooms in this process over real WebRTC
 * (loopback candidates), auction-lot updates spaced 1 ms apart; samples spanning a scavenge are dropped.
 *   node --import tsx bench/rooms/probes/alloc.ts [--updates=3000]
 * Reaches the consumer's simple-peer through the room's private `links` (bench-only).
 */
import { getHeapSpaceStatistics } from 'node:v8'
import { parseArgs } from 'node:util'
import type SimplePeer from 'simple-peer'
import { startSignalingServer } from '@diffstream/signaling'
import { joinRoom, type JsonObject } from '@diffstream/core'
import { bidOn, initialLots, LOTS } from '../records.js'
import { median } from '../../report.js'
import { Prng } from '../../workloads/prng.js'

const { values } = parseArgs({ options: { updates: { type: 'string', default: '3000' } } })
const updates = Number(values.updates)
const warmup = Math.min(1000, Math.floor(updates / 3))

const newSpace = (): number =>
  getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_used_size ?? NaN
const loopback = (c: string): boolean => / (127\.0\.0\.1|::1) /.test(c)

const server = await startSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
const producer = joinRoom<JsonObject>('alloc', { signaling: [server.url], role: 'producer', candidateFilter: loopback })
const consumer = joinRoom<JsonObject>('alloc', { signaling: [server.url], role: 'consumer', candidateFilter: loopback })
const lots = initialLots(LOTS, 1)
for (const lot of lots) producer.cache.update(lot)
await Promise.all([producer.whenSynced(), consumer.whenSynced()])

let lastSeq = -1
consumer.on('change', (c) => {
  lastSeq = Number(c.data?.['seq'])
})
const links = (consumer as unknown as { links: Map<string, { peer: SimplePeer.Instance }> }).links
const peer = Array.from(links.values())[0]?.peer
if (!peer) throw new Error("no connected link (the room's internals changed?)")
let before = 0
let received = 0
const consumerBytes: number[] = []
peer.prependListener('data', () => {
  before = newSpace()
})
peer.on('data', () => {
  // Runs after the room's own listener, i.e. after decode, checks, both applies and `change`.
  const grown = newSpace() - before
  if (received++ >= warmup && grown >= 0) consumerBytes.push(grown)
})

const updateBytes: number[] = []
const withSendBytes: number[] = []
const rng = new Prng(2)
for (let i = 0; i < updates; i++) {
  await new Promise((r) => setTimeout(r, 1))
  const at = i % LOTS
  const next = bidOn(lots[at]!, i, rng)
  lots[at] = next
  const a = newSpace()
  producer.cache.update(next)
  const b = newSpace()
  await new Promise<void>((r) => queueMicrotask(r)) // after the room's flush microtask (queued first)
  const c = newSpace()
  if (i >= warmup && b >= a && c >= b) {
    updateBytes.push(b - a)
    withSendBytes.push(c - a)
  }
}
await new Promise((r) => setTimeout(r, 200))
console.log(`record JSON: ${JSON.stringify(lots[0]).length} B; consumer saw seq ${lastSeq} of ${updates - 1}`)
console.log(`producer cache.update(): median ${median(updateBytes)} B (${updateBytes.length} samples)`)
console.log(`producer update() + flush + send: median ${median(withSendBytes)} B`)
console.log(
  `consumer message → change listeners done: median ${median(consumerBytes)} B (${consumerBytes.length} samples)`,
)
await consumer.close()
await producer.close()
await server.close()
setTimeout(() => process.exit(0), 100)
