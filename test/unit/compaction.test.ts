// Compaction: a cache whose history outweighs its data starts a new epoch holding only the live
// records; consumers follow, a retran carries the new epoch, and a peer's own writes survive it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  DataMsg,
  DiffCache,
  InvalidMessageError,
  PatchMismatchError,
  StaleEpochError,
  type JsonObject,
} from '@diffstream/core'
import { auctionStream } from '../helpers/auction-stream.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

function contents(c: DiffCache): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of c.keys().sort()) out[String(k)] = c.get(k)
  return out
}

test(
  '300 000 auction updates: heap stays within a few MB of the heap after 20 000, a newcomer catches up with at most 4x the live JSON',
  { timeout: 120_000 },
  () => {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'test/helpers/heap-stream.ts', '300000', '20000'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    )
    assert.equal(run.status, 0, run.stderr)
    const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number | boolean>
    const grew = (r.heapEnd as number) - (r.heapEarly as number)
    assert.ok(grew < 4 * 1024 * 1024, `heap grew by ${(grew / 1048576).toFixed(1)} MB`)
    assert.ok(
      (r.catchUpBytes as number) <= 4 * (r.liveJson as number),
      `catch-up ${r.catchUpBytes} B for ${r.liveJson} B of JSON`,
    )
    assert.ok((r.compactions as number) > 0)
    assert.equal(r.consumerEpoch, r.epoch)
    assert.equal(r.consumerEqual, true)
    assert.equal(r.newcomerEqual, true)
  },
)

test('a consumer in sync follows a compaction by itself, from the cut the next message carries', () => {
  const producer = DiffCache.producer({ compaction: false })
  const consumer = DiffCache.consumer()
  const next = auctionStream(5, 3)
  for (let i = 0; i < 50; i++) consumer.update(producer.update(next()).encode())
  producer.compact()
  assert.notEqual(producer.epoch, 0)
  const msg = producer.update(next())
  assert.deepEqual(msg.cut?.parent, 0)
  consumer.update(DataMsg.decode(msg.encode()))
  assert.equal(consumer.epoch, producer.epoch)
  assert.deepEqual(contents(consumer), contents(producer))
  // the base was not sent: the message stays a diff
  assert.ok(msg.byteLength < 100, `${msg.byteLength} bytes`)
})

test('a consumer that missed the compaction gets PatchMismatchError, then a retran brings the new epoch', () => {
  const producer = DiffCache.producer({ compaction: false })
  const consumer = DiffCache.consumer()
  const next = auctionStream(5, 4)
  for (let i = 0; i < 20; i++) consumer.update(producer.update(next()).encode())
  producer.update(next()) // lost
  producer.compact()
  for (let i = 0; i < 5; i++) producer.update(next()) // lost, with the cut
  const late = producer.update(next())
  const before = contents(consumer)
  assert.throws(() => consumer.update(late.encode()), PatchMismatchError)
  assert.deepEqual(contents(consumer), before)
  const [cmd] = consumer.update(producer.retran(late.key, consumer.stateVector()).encode())
  assert.equal(cmd, 'ret')
  assert.equal(consumer.epoch, producer.epoch)
  assert.deepEqual(contents(consumer), contents(producer))
  // and the stream goes on as diffs
  for (let i = 0; i < 20; i++) consumer.update(producer.update(next()).encode())
  assert.deepEqual(contents(consumer), contents(producer))
})

test('a message of an older epoch is recognised and refused, and changes nothing', () => {
  const producer = DiffCache.producer({ compaction: false })
  const consumer = DiffCache.consumer()
  consumer.update(producer.update({ key: 'a', n: 1 }).encode())
  const old = producer.update({ key: 'a', n: 2 })
  consumer.update(old.encode())
  producer.compact()
  consumer.update(producer.update({ key: 'a', n: 3 }).encode())
  assert.equal(consumer.epoch, producer.epoch)
  // the same message again, now from an older epoch (a duplicate that arrives late)
  assert.throws(() => consumer.update(old.encode()), StaleEpochError)
  assert.deepEqual(consumer.get('a'), { key: 'a', n: 3 })
})

test("a peer that edited offline across another peer's compaction keeps its edits (field level) and both converge", () => {
  const a = DiffCache.peer({ compaction: false })
  const b = DiffCache.peer({ compaction: false })
  const send = (from: DiffCache, to: DiffCache, msg: DataMsg) => to.update(DataMsg.decode(msg.encode()))
  send(a, b, a.update({ key: 'r', title: 'lot', price: 1, bidder: 'x', note: 'n' }))
  send(b, a, b.update({ key: 's', title: 'other', price: 5 }))
  // b goes offline and edits two fields of r; a compacts and edits another field of r
  const offline1 = b.update({ key: 'r', title: 'lot', price: 1, bidder: 'b-offline', note: 'n' })
  const offline2 = b.update({ key: 's', title: 'other', price: 6 })
  a.compact()
  const aMsg = a.update({ key: 'r', title: 'lot', price: 2, bidder: 'x', note: 'n' })
  // b's old-epoch messages are refused by a
  assert.throws(() => send(b, a, offline1), StaleEpochError)
  assert.throws(() => send(b, a, offline2), StaleEpochError)
  // a's new-epoch message cannot be applied by b (its state is not the cut): held, then a retran
  assert.throws(() => send(a, b, aMsg), PatchMismatchError)
  send(a, b, a.retran('r', b.stateVector()))
  assert.equal(b.epoch, a.epoch)
  // b's next message carries its replayed offline writes
  send(b, a, b.update({ key: 't', n: 1 }))
  const expected = {
    r: { key: 'r', title: 'lot', price: 2, bidder: 'b-offline', note: 'n' },
    s: { key: 's', title: 'other', price: 6 },
    t: { key: 't', n: 1 },
  }
  assert.deepEqual(contents(a), expected)
  assert.deepEqual(contents(b), expected)
})

test('compaction: false never compacts; a malformed cut is refused', () => {
  const producer = DiffCache.producer({ compaction: false })
  const next = auctionStream(3, 5)
  for (let i = 0; i < 5000; i++) producer.update(next())
  assert.equal(producer.epoch, 0)
  assert.equal(producer.compactions, 0)
  const withCut = new DataMsg({
    cmd: 'upd',
    key: 'a',
    update: Uint8Array.of(0, 0),
    epoch: 5,
    cut: { parent: 3, state: 9 },
  })
  const back = DataMsg.decode(withCut.encode())
  assert.deepEqual([back.epoch, back.cut], [5, { parent: 3, state: 9 }])
  assert.throws(
    () =>
      new DataMsg({
        cmd: 'upd',
        key: 'a',
        update: Uint8Array.of(0, 0),
        epoch: 5,
        cut: { parent: 5, state: 1 },
      }).encode(),
    InvalidMessageError,
  )
})

test('writers compact by themselves under an endless stream; a new consumer joins late from a retran', () => {
  const producer = DiffCache.producer<JsonObject>()
  const consumer = DiffCache.consumer()
  const next = auctionStream(10, 9)
  for (let i = 0; i < 20_000; i++) consumer.update(producer.update(next()).encode())
  assert.ok(producer.compactions > 10)
  assert.equal(consumer.epoch, producer.epoch)
  assert.deepEqual(contents(consumer), contents(producer))
  const late = DiffCache.consumer()
  late.update(producer.retran(producer.keys()[0]!).encode())
  assert.deepEqual(contents(late), contents(producer))
})
