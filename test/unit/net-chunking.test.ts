// Large data-channel messages travel as ≤16 KiB chunk frames and are rebuilt within fixed bounds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as encoding from 'lib0/encoding'
import { InvalidMessageError } from '@diffstream/core'
import { CHUNK_TYPE, isChunkFrame, MAX_FRAME, Reassembler, splitMessage } from '@diffstream/core/net'
import { mulberry32 } from '../helpers/prng.js'

function randomBytes(n: number, rand: () => number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256)
  return out
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  const a = items.slice()
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

/** A chunk frame with arbitrary header values, built with lib0 so it is independent of ours. */
function frame(
  id: number,
  index: number,
  total: number,
  payload: Uint8Array | number[] = [1, 2, 3],
  type = CHUNK_TYPE,
): Uint8Array {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, type)
  encoding.writeVarUint(enc, id)
  encoding.writeVarUint(enc, index)
  encoding.writeVarUint(enc, total)
  encoding.writeUint8Array(enc, Uint8Array.from(payload))
  return encoding.toUint8Array(enc)
}

function reassemble(frames: Uint8Array[], r = new Reassembler()): Uint8Array {
  let out: Uint8Array | null = null
  frames.forEach((f, i) => {
    const got = r.push(f)
    if (i < frames.length - 1) assert.equal(got, null, `frame ${i} of ${frames.length} completed early`)
    else out = got
  })
  assert.ok(out, 'last frame completes the message')
  assert.equal(r.pendingCount, 0)
  return out
}

test('constants', () => {
  assert.equal(CHUNK_TYPE, 10)
  assert.equal(MAX_FRAME, 16 * 1024)
})

test('messages up to MAX_FRAME are returned unchanged', () => {
  const rand = mulberry32(1)
  for (const size of [0, 1, 100, MAX_FRAME]) {
    const m = randomBytes(size, rand)
    const frames = splitMessage(m, 1)
    assert.equal(frames.length, 1)
    assert.equal(frames[0], m, `size ${size}: same array, not a copy`)
  }
})

test('round trip of 16K+1, 5 MB and boundary sizes; every frame ≤ MAX_FRAME', () => {
  const rand = mulberry32(2)
  for (const size of [MAX_FRAME + 1, 2 * MAX_FRAME, 3 * MAX_FRAME + 17, 1_000_000, 5_000_000]) {
    const m = randomBytes(size, rand)
    const frames = splitMessage(m, 7)
    assert.ok(frames.length >= 2, `size ${size}`)
    for (const f of frames) {
      assert.ok(f.length <= MAX_FRAME, `frame of ${f.length} bytes`)
      assert.ok(isChunkFrame(f))
    }
    // Every chunk but the last is nearly full, so the count is near optimal.
    assert.ok(frames.length <= Math.ceil(size / (MAX_FRAME - 8)), `${frames.length} frames for ${size}`)
    assert.deepEqual(reassemble(frames), m, `size ${size}`)
  }
})

test('sizes 0 and 1 and small maxFrame values also round trip through chunks', () => {
  const rand = mulberry32(3)
  for (const maxFrame of [26, 27, 40, 130, 300]) {
    for (const size of [maxFrame + 1, 5 * maxFrame, 20_000]) {
      const m = randomBytes(size, rand)
      const frames = splitMessage(m, 2 ** 40, maxFrame)
      for (const f of frames) assert.ok(f.length <= maxFrame, `maxFrame ${maxFrame}: frame of ${f.length}`)
      assert.deepEqual(reassemble(frames, new Reassembler({ maxFrame })), m, `maxFrame ${maxFrame} size ${size}`)
    }
  }
  // A sender may chunk a tiny message (e.g. with total 1); the receiver still handles it.
  const r = new Reassembler()
  assert.deepEqual(r.push(frame(5, 0, 1, [])), new Uint8Array())
  assert.deepEqual(r.push(frame(5, 0, 1, [42])), Uint8Array.of(42))
})

test('chunks in shuffled order', () => {
  const rand = mulberry32(4)
  const m = randomBytes(300_000, rand)
  const frames = splitMessage(m, 3)
  for (let round = 0; round < 5; round++) assert.deepEqual(reassemble(shuffle(frames, rand)), m)
})

test('two messages interleaved, and ids reused after completion', () => {
  const rand = mulberry32(5)
  const a = randomBytes(100_000, rand)
  const b = randomBytes(70_000, rand)
  const fa = splitMessage(a, 1)
  const fb = splitMessage(b, 2)
  const r = new Reassembler()
  const done: Uint8Array[] = []
  for (let i = 0; i < Math.max(fa.length, fb.length); i++) {
    for (const f of [fa[i], fb[i]]) {
      if (!f) continue
      const got = r.push(f)
      if (got) done.push(got)
    }
  }
  assert.equal(done.length, 2)
  assert.deepEqual(
    done.find((m) => m.length === a.length),
    a,
  )
  assert.deepEqual(
    done.find((m) => m.length === b.length),
    b,
  )
  assert.deepEqual(reassemble(splitMessage(b, 1), r), b)
})

test('the caller may reuse a frame buffer after push', () => {
  const m = randomBytes(40_000, mulberry32(6))
  const r = new Reassembler()
  let out: Uint8Array | null = null
  for (const f of splitMessage(m, 9)) {
    out = r.push(f)
    f.fill(0)
  }
  assert.deepEqual(out, m)
})

test('malformed frames throw InvalidMessageError', () => {
  const cases: Array<[string, (r: Reassembler) => void]> = [
    ['empty', (r) => r.push(new Uint8Array())],
    ['not a chunk frame', (r) => r.push(Uint8Array.of(0, 0, 1, 0))],
    ['type only', (r) => r.push(Uint8Array.of(CHUNK_TYPE))],
    ['no total', (r) => r.push(Uint8Array.of(CHUNK_TYPE, 1, 0))],
    ['truncated varuint', (r) => r.push(Uint8Array.of(CHUNK_TYPE, 1, 0, 0x80))],
    [
      'overlong varuint',
      (r) => r.push(Uint8Array.of(CHUNK_TYPE, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0, 2)),
    ],
    ['total 0', (r) => r.push(frame(1, 0, 0))],
    ['index = total', (r) => r.push(frame(1, 2, 2))],
    ['index > total', (r) => r.push(frame(1, 9, 2))],
    ['huge total', (r) => r.push(frame(1, 0, 2 ** 40))],
    ['total just above the bound', (r) => r.push(frame(1, 0, Math.ceil((64 * 1024 * 1024) / (MAX_FRAME - 25)) + 2))],
    [
      'inconsistent totals',
      (r) => {
        r.push(frame(1, 0, 3))
        r.push(frame(1, 1, 4))
      },
    ],
    [
      'duplicate index',
      (r) => {
        r.push(frame(1, 0, 3))
        r.push(frame(1, 0, 3))
      },
    ],
    [
      'too many pending',
      (r) => {
        for (let id = 0; id < 5; id++) r.push(frame(id, 0, 2))
      },
    ],
    [
      'message above maxMessageBytes',
      (r) => {
        const small = new Reassembler({ maxMessageBytes: 100_000 })
        for (let i = 0; i < 7; i++) small.push(frame(1, i, 7, new Uint8Array(MAX_FRAME - 10)))
        void r
      },
    ],
    [
      'single chunk above maxMessageBytes',
      () => new Reassembler({ maxMessageBytes: 10 }).push(frame(1, 0, 1, new Uint8Array(11))),
    ],
  ]
  for (const [name, run] of cases) assert.throws(() => run(new Reassembler()), InvalidMessageError, name)
})

test('an error discards the broken partial message, and the reassembler keeps working', () => {
  const r = new Reassembler({ maxPending: 2 })
  r.push(frame(1, 0, 3))
  r.push(frame(2, 0, 3))
  assert.equal(r.pendingCount, 2)
  assert.throws(() => r.push(frame(3, 0, 3)), InvalidMessageError, 'third pending id')
  assert.equal(r.pendingCount, 2, 'the refused id is not held')
  assert.throws(() => r.push(frame(1, 0, 3)), InvalidMessageError, 'duplicate')
  assert.equal(r.pendingCount, 1, 'message 1 dropped')
  assert.throws(() => r.push(frame(2, 1, 5)), InvalidMessageError, 'inconsistent total')
  assert.equal(r.pendingCount, 0)
  const m = randomBytes(50_000, mulberry32(7))
  assert.deepEqual(reassemble(splitMessage(m, 1), r), m)
  r.push(frame(4, 0, 2))
  r.clear()
  assert.equal(r.pendingCount, 0)
})

test('memory stays bounded: at most maxPending messages of at most maxMessageBytes', () => {
  const maxMessageBytes = 200_000
  const r = new Reassembler({ maxMessageBytes, maxPending: 3 })
  const payload = new Uint8Array(MAX_FRAME - 20)
  // The largest total the bound admits, so only the byte count can stop a hostile sender.
  const total = Math.ceil(maxMessageBytes / (MAX_FRAME - 25)) + 1
  for (let id = 0; id < 3; id++) {
    let accepted = 0
    assert.throws(() => {
      for (let i = 0; i < total; i++) {
        r.push(frame(id, i, total, payload))
        accepted += payload.length
      }
    }, InvalidMessageError)
    assert.ok(accepted <= maxMessageBytes, `message ${id}: ${accepted} bytes held`)
    assert.ok(accepted > maxMessageBytes - payload.length, 'refused only when over the limit')
  }
  assert.equal(r.pendingCount, 0, 'oversized messages are discarded')
  for (let id = 0; id < 3; id++) r.push(frame(id, 0, total, payload))
  assert.throws(() => r.push(frame(3, 0, total, payload)), InvalidMessageError)
  assert.equal(r.pendingCount, 3)
})

test('timeoutMs drops stale partial messages', async () => {
  const r = new Reassembler({ timeoutMs: 20, maxPending: 1 })
  r.push(frame(1, 0, 2))
  assert.throws(() => r.push(frame(2, 0, 2)), InvalidMessageError)
  await new Promise((resolve) => setTimeout(resolve, 40))
  assert.equal(r.push(frame(2, 0, 2)), null, 'the stale message made room')
  assert.equal(r.pendingCount, 1)
})

test('splitMessage refuses bad ids and maxFrame values', () => {
  const m = new Uint8Array(MAX_FRAME + 1)
  assert.throws(() => splitMessage(m, -1), RangeError)
  assert.throws(() => splitMessage(m, 1.5), RangeError)
  assert.throws(() => splitMessage(m, 2 ** 53), RangeError)
  assert.throws(() => splitMessage(m, 1, 25), RangeError)
})

test('fuzz: 20 000 random, truncated and mutated frames only ever throw InvalidMessageError', () => {
  const rand = mulberry32(8)
  const real = splitMessage(randomBytes(80_000, rand), 12345)
  let r = new Reassembler({ maxMessageBytes: 1_000_000 })
  const varuint = (n: number) => {
    const enc = encoding.createEncoder()
    encoding.writeVarUint(enc, n)
    return Array.from(encoding.toUint8Array(enc))
  }
  const small = () => (rand() < 0.7 ? Math.floor(rand() * 6) : Math.floor(rand() * 2 ** (rand() * 60)))
  let thrown = 0
  let completed = 0
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array
    switch (i % 5) {
      case 0: // pure noise
        bytes = randomBytes(Math.floor(rand() * 40), rand)
        break
      case 1: // a real frame, truncated
        {
          const f = real[Math.floor(rand() * real.length)]!
          bytes = f.subarray(0, Math.floor(rand() * f.length))
        }
        break
      case 2: // a real frame with a few bytes changed in the header
        bytes = real[Math.floor(rand() * real.length)]!.slice()
        for (let k = 0; k < 2; k++) bytes[Math.floor(rand() * 8)] = Math.floor(rand() * 256)
        break
      default: // plausible headers with random values, including huge and overlong ones
        bytes = Uint8Array.from([
          ...(rand() < 0.9 ? [CHUNK_TYPE] : varuint(small())),
          ...varuint(small()),
          ...varuint(small()),
          ...varuint(small()),
          ...(rand() < 0.1 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : []),
          ...randomBytes(Math.floor(rand() * 20), rand),
        ])
    }
    try {
      if (r.push(bytes)) completed++
    } catch (err) {
      if (!(err instanceof InvalidMessageError)) assert.fail(`frame ${Array.from(bytes).join(',')}: ${String(err)}`)
      thrown++
    }
    assert.ok(r.pendingCount <= 4)
    if (i % 1000 === 999) r = new Reassembler({ maxMessageBytes: 1_000_000 })
  }
  assert.ok(thrown > 5_000, `${thrown} rejections`)
  assert.ok(completed > 0, 'some random frames do form (tiny) messages')
})
