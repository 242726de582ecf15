// Offline edits through the facade (DiffCache.peer): the same rules as rooms (docs/compaction.md).
// A record created offline and edited again survives any number of compactions elsewhere; two peers
// that create one record at once keep both creators' fields; a peer's `repair` messages carry what
// it writes on its own. Messages travel as bytes, as over any transport.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { DataMsg, DiffCache, PatchMismatchError, StaleEpochError, type JsonObject } from '@diffstream/core'

type Peer = DiffCache<JsonObject>

function contents(c: Peer): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of c.keys().map(String).sort()) out[k] = c.get(k)
  return out
}

/** Delivers a message as bytes; returns the error it raised, if any. */
function deliver(to: Peer, msg: DataMsg): unknown {
  try {
    to.update(DataMsg.decode(msg.encode()))
    return null
  } catch (err) {
    return err
  }
}

/** Two peers whose repair messages reach each other at once while they are connected. */
function pair(): { ann: Peer; bob: Peer; online: { value: boolean } } {
  const ann = DiffCache.peer({ compaction: false })
  const bob = DiffCache.peer({ compaction: false })
  const online = { value: true }
  // A repair can arrive before what it builds on (it is sent while a message is being applied):
  // it is then held, and applied once that arrives, as any message.
  const relay = (to: Peer, msg: DataMsg): void => {
    if (!online.value) return
    const err = deliver(to, msg)
    if (err !== null && !(err instanceof PatchMismatchError)) throw err
  }
  ann.on('repair', (msg) => relay(bob, msg))
  bob.on('repair', (msg) => relay(ann, msg))
  return { ann, bob, online }
}

/** Brings `behind` into `ahead`'s epoch the documented way: its message is refused, a retran brings the epoch. */
function catchUp(behind: Peer, ahead: Peer, key: string): void {
  const probe = ahead.retran(key, behind.stateVector())
  assert.equal(deliver(behind, probe), null)
  assert.equal(behind.epoch, ahead.epoch)
}

describe('facade peers: offline edits survive compactions they missed', () => {
  for (const compactions of [1, 12]) {
    test(`a record created offline and edited again survives ${compactions} compaction(s) by the other peer`, () => {
      const { ann, bob, online } = pair()
      assert.equal(deliver(ann, bob.update({ key: 'shared', n: 0 })), null)
      online.value = false
      // Ann is offline: what she sends is lost on the way.
      ann.update({ key: 'ann-note', text: 'draft' })
      ann.update({ key: 'ann-note', text: 'written offline' })
      for (let i = 1; i <= compactions; i++) {
        bob.update({ key: 'shared', n: i })
        bob.compact()
      }
      const fromBob = bob.update({ key: 'bob-note', text: 'hello' })
      online.value = true
      // Back online: Bob's newer epoch is refused until a retran brings it...
      assert.ok(deliver(ann, fromBob) instanceof PatchMismatchError)
      catchUp(ann, bob, 'bob-note')
      // ...and Ann's repair message (sent by the listener above) carried her record into it.
      const expected = {
        'ann-note': { key: 'ann-note', text: 'written offline' },
        'bob-note': { key: 'bob-note', text: 'hello' },
        shared: { key: 'shared', n: compactions },
      }
      assert.deepEqual(contents(bob), expected)
      assert.deepEqual(contents(ann), expected)
    })
  }

  test('without a repair listener, the carried writes travel with the next message', () => {
    const ann = DiffCache.peer({ compaction: false })
    const bob = DiffCache.peer({ compaction: false })
    assert.equal(deliver(ann, bob.update({ key: 'shared', n: 0 })), null)
    const stale = ann.update({ key: 'ann-note', text: 'draft' })
    ann.update({ key: 'ann-note', text: 'written offline' })
    bob.compact()
    assert.ok(deliver(bob, stale) instanceof StaleEpochError)
    catchUp(ann, bob, 'shared')
    assert.equal(deliver(bob, ann.update({ key: 'later', n: 1 })), null)
    assert.deepEqual(bob.get('ann-note'), { key: 'ann-note', text: 'written offline' })
    assert.deepEqual(contents(bob), contents(ann))
  })

  test('offline edits, field removals and a deletion merge field by field with what the other side wrote', () => {
    const { ann, bob, online } = pair()
    for (const key of ['a', 'b', 'c']) assert.equal(deliver(bob, ann.update({ key, x: 1, y: 1, z: 1 })), null)
    online.value = false
    ann.update({ key: 'a', x: 2, y: 1, z: 1 }) // a.x, a field Bob does not touch
    ann.update({ key: 'b', x: 1, z: 1 }) // removes b.y
    ann.delete('c')
    ann.update({ key: 'd', fresh: true }) // created offline
    bob.update({ key: 'a', x: 1, y: 3, z: 1 }) // a.y, concurrently
    bob.update({ key: 'b', x: 1, y: 1, z: 5 })
    for (let i = 0; i < 3; i++) bob.compact()
    online.value = true
    catchUp(ann, bob, 'a')
    const expected = {
      a: { key: 'a', x: 2, y: 3, z: 1 },
      b: { key: 'b', x: 1, z: 5 },
      d: { key: 'd', fresh: true },
    }
    assert.deepEqual(contents(ann), expected)
    assert.deepEqual(contents(bob), expected)
  })
})

describe('facade peers: two peers create one record at once', () => {
  test("both creators' fields survive, and a field both wrote ends the same on both", () => {
    for (let round = 0; round < 20; round++) {
      const { ann, bob } = pair()
      const fromAnn = ann.update({ key: 'x', ann: 1, both: 'ann' })
      const fromBob = bob.update({ key: 'x', bob: 2, both: 'bob' })
      assert.equal(deliver(bob, fromAnn), null)
      assert.equal(deliver(ann, fromBob), null)
      const a = ann.get('x')!
      assert.deepEqual(a, bob.get('x'))
      assert.equal(a['ann'], 1)
      assert.equal(a['bob'], 2)
      assert.ok(a['both'] === 'ann' || a['both'] === 'bob')
    }
  })
})
