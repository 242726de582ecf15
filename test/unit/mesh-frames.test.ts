// The link and broadcast-tree frames (types 14-18) and DiffStream's announce fields come from other
// machines: malformed ones are typed errors (the sender is dropped), never crashes or loops.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeFrame } from '../../core/src/net/frames.js'
import {
  encodeGraft,
  encodeHave,
  encodeHeartbeat,
  encodePrune,
  encodeWriter,
  MAX_WRITERS,
} from '../../core/src/net/mesh-frames.js'
import { InvalidMessageError } from '../../core/src/errors.js'
import { Membership } from '../../core/src/net/membership.js'
import { Replica, type ReplicaLink } from '../../core/src/net/replica.js'
import type { ReplicaClock } from '../../core/src/net/replica-link.js'

test('the new frames round-trip', () => {
  assert.deepEqual(decodeFrame(encodeHeartbeat('ping')), { kind: 'heartbeat', beat: 'ping' })
  assert.deepEqual(decodeFrame(encodeHeartbeat('bye')), { kind: 'heartbeat', beat: 'bye' })
  assert.deepEqual(decodeFrame(encodePrune([1, 2 ** 32 + 5])), { kind: 'prune', writers: [1, 2 ** 32 + 5] })
  assert.deepEqual(decodeFrame(encodeGraft([])), { kind: 'graft', writers: [] })
  assert.deepEqual(decodeFrame(encodeWriter(123456789)), { kind: 'writer', client: 123456789 })
  const have = decodeFrame(encodeHave(Uint8Array.of(1, 7, 3), 0xdeadbeef))
  assert.equal(have.kind, 'have')
  if (have.kind === 'have') {
    assert.deepEqual(Array.from(have.stateVector), [1, 7, 3])
    assert.equal(have.fingerprint, 0xdeadbeef)
  }
})

test('malformed link and tree frames are typed errors', () => {
  const bad: Array<[string, Uint8Array]> = [
    ['an unknown heartbeat kind', Uint8Array.of(14, 9)],
    ['a truncated heartbeat', Uint8Array.of(14)],
    ['a prune counting more writers than bytes', Uint8Array.of(15, 50, 1)],
    ['a prune with trailing bytes', Uint8Array.of(15, 1, 7, 0)],
    ['a have whose state vector runs past the end', Uint8Array.of(17, 9, 1, 2)],
    ['a have without its fingerprint', Uint8Array.of(17, 1, 0, 1, 2)],
    ['a writer id that never ends', Uint8Array.of(18, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80)],
  ]
  for (const [what, bytes] of bad) assert.throws(() => decodeFrame(bytes), InvalidMessageError, what)
  const many = [15]
  many.push(0x81, 0x08) // 1 025 writers
  for (let i = 0; i < MAX_WRITERS + 1; i++) many.push(1)
  assert.throws(() => decodeFrame(Uint8Array.from(many)), InvalidMessageError)
})

test('random bytes after the new type numbers decode or throw InvalidMessageError, nothing else', () => {
  fc.assert(
    fc.property(fc.integer({ min: 14, max: 18 }), fc.uint8Array({ maxLength: 40 }), (type, rest) => {
      try {
        decodeFrame(Uint8Array.from([type, ...rest]))
      } catch (err) {
        assert.ok(err instanceof InvalidMessageError, String(err))
      }
    }),
    { numRuns: 2000 },
  )
})

const clock: ReplicaClock = { now: () => 0, later: () => ({ cancel() {} }) }

test("a have whose state vector is malformed makes the replica refuse the sender's frame", () => {
  const replica = new Replica({ compacts: false, compaction: false, clock })
  const link: ReplicaLink = { id: 'x', followsEpochs: true, send() {}, drop() {} }
  replica.open(link)
  replica.receive(link, { kind: 'epoch-hello', epoch: 0, parent: 0, cutState: 0 })
  assert.throws(
    () => replica.receive(link, { kind: 'have', stateVector: Uint8Array.of(5, 1), fingerprint: 0 }),
    InvalidMessageError,
  )
  replica.destroy()
})

test('announces with fields of any type never throw, nor take a peer past maxConns', () => {
  const dialed: string[] = []
  const membership = new Membership(
    { peerId: 'me', maxConns: 4, clock, random: () => 0.5 },
    { announce() {}, dial: (id) => dialed.push(id), hangUp() {} },
  )
  membership.start()
  fc.assert(
    fc.property(
      fc.record({
        from: fc.string({ maxLength: 8 }),
        to: fc.anything(),
        ds: fc.anything(),
        lid: fc.anything(),
        links: fc.anything(),
        deg: fc.anything(),
        want: fc.anything(),
        full: fc.anything(),
        lonely: fc.anything(),
      }),
      (payload) => {
        membership.announced(payload)
      },
    ),
    { numRuns: 500 },
  )
  // It dials at most maxConns peers (the others wait), whatever it was told.
  assert.ok(dialed.length <= 4, `${dialed.length} dials`)
  membership.stop()
})
