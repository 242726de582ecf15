// The file store on real files: round trip, compaction, size, group commit, the lock across
// processes, and damaged files (truncated, random, foreign, newer, torn or corrupt tail).
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  StoreClosedError,
  StoreCorruptError,
  StoreError,
  StoreLimitError,
  StoreLockedError,
  StoreVersionError,
} from '@diffstream/core'
import { openFileStore, type StoredState } from '@diffstream/core/node'
import { crc32 } from '../../core/src/store/crc32.js'
import { StoreChild } from '../helpers/store-child.js'
import { prng } from '../helpers/store-workload.js'

const root = mkdtempSync(join(tmpdir(), 'diffstream-store-file-'))
after(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const freshDir = () => join(root, `s${dirs++}`)

const HEADER = 24
const FRAME_HEADER = 8
const bytes = (...xs: number[]) => Uint8Array.from(xs)
const text = (s: string) => new TextEncoder().encode(s)

/** Opens, loads and closes: what a later process would see. */
async function reopen(dir: string, options?: Parameters<typeof openFileStore>[1]): Promise<StoredState> {
  const store = await openFileStore(dir, options)
  try {
    return await store.load()
  } finally {
    await store.close()
  }
}

/** A closed store holding `frames` (and a snapshot first, if given). */
async function storeWith(frames: Uint8Array[], snapshot?: Uint8Array): Promise<string> {
  const dir = freshDir()
  const store = await openFileStore(dir)
  if (snapshot) await store.compact(snapshot)
  for (const f of frames) await store.append(f)
  await store.close()
  return dir
}

test('the bytes on disk are those of docs/store.md, with the standard CRC-32', async () => {
  assert.equal(crc32(text('123456789')), 0xcbf43926) // the catalogued check value of zlib's CRC-32
  assert.equal(crc32(text('6789'), crc32(text('12345'))), 0xcbf43926, 'continues across buffers')
  const dir = await storeWith([text('hi')], text('S'))
  const header = (magic: string) => {
    const h = Buffer.alloc(HEADER)
    Buffer.from(magic, 'hex').copy(h, 0)
    h.writeUInt32LE(1, 8) // format version
    h.writeBigUInt64LE(1n, 12) // generation: one compaction
    h.writeUInt32LE(crc32(h.subarray(0, 20)), 20)
    return h
  }
  const frame = (payload: Uint8Array) => {
    const f = Buffer.alloc(FRAME_HEADER + payload.length)
    f.writeUInt32LE(payload.length, 0)
    Buffer.from(payload).copy(f, FRAME_HEADER)
    f.writeUInt32LE(crc32(payload, crc32(f.subarray(0, 4))), 4)
    return f
  }
  assert.deepEqual(readFileSync(join(dir, 'log')), Buffer.concat([header('8944534c4f470d0a'), frame(text('hi'))]))
  assert.deepEqual(readFileSync(join(dir, 'snapshot')), Buffer.concat([header('894453534e500d0a'), frame(text('S'))]))
})

test('frames round-trip through a reopen, byte for byte and in order', async () => {
  const dir = freshDir()
  const store = await openFileStore(dir)
  assert.deepEqual(await store.load(), { snapshot: null, frames: [], repaired: null })
  const frames = [bytes(), bytes(0), text('hello'), new Uint8Array(70_000).map((_, i) => i * 7)]
  for (const f of frames) await store.append(f)
  const reused = bytes(1, 2, 3)
  const pending = store.append(reused)
  reused.fill(9) // the store copied the frame when append was called
  await pending
  assert.deepEqual(await store.load(), { snapshot: null, frames: [...frames, bytes(1, 2, 3)], repaired: null })
  await store.close()
  assert.deepEqual(readdirSync(dir).sort(), ['log'], 'close leaves the log and releases the lock')
  const again = await reopen(dir)
  assert.deepEqual(again, { snapshot: null, frames: [...frames, bytes(1, 2, 3)], repaired: null })
  assert.ok(
    again.frames.every((f) => Object.getPrototypeOf(f) === Uint8Array.prototype),
    'plain Uint8Arrays',
  )
})

test('compaction replaces everything; appends after the call land in the new log', async () => {
  const dir = freshDir()
  const store = await openFileStore(dir)
  await store.append(text('a'))
  const before = store.append(text('b')) // queued before the compaction: dropped by it
  const compacted = store.compact(text('S1'))
  const afterwards = store.append(text('c'))
  await Promise.all([before, compacted, afterwards])
  assert.deepEqual(await store.load(), { snapshot: text('S1'), frames: [text('c')], repaired: null })
  await store.compact(text('S2'))
  await store.append(text('d'))
  await store.close()
  assert.deepEqual(readdirSync(dir).sort(), ['log', 'snapshot'], 'no temporary files left')
  assert.deepEqual(await reopen(dir), { snapshot: text('S2'), frames: [text('d')], repaired: null })
  assert.equal(statSync(join(dir, 'log')).size, HEADER + FRAME_HEADER + 1)
})

test('size counts both files, pending frames included', async () => {
  const dir = freshDir()
  const store = await openFileStore(dir)
  assert.equal(store.size, HEADER)
  const p = store.append(new Uint8Array(200))
  assert.equal(store.size, HEADER + FRAME_HEADER + 200, 'counted as soon as append is called')
  await p
  assert.equal(store.size, statSync(join(dir, 'log')).size)
  await store.compact(new Uint8Array(1000))
  assert.equal(store.size, HEADER + FRAME_HEADER + 1000 + HEADER)
  assert.equal(store.size, statSync(join(dir, 'log')).size + statSync(join(dir, 'snapshot')).size)
  await store.close()
  const reopened = await openFileStore(dir)
  assert.equal(reopened.size, HEADER + FRAME_HEADER + 1000 + HEADER)
  await reopened.close()
})

test('group commit: appends waiting together share one write and one fsync', async () => {
  const dir = freshDir()
  const store = await openFileStore(dir)
  const base = store.stats.fsyncs
  await Promise.all(Array.from({ length: 200 }, (_, i) => store.append(new Uint8Array(200).fill(i))))
  assert.equal(store.stats.fsyncs - base, 1, '200 appends in one tick: one fsync')
  assert.equal(store.stats.largestBatch, 200)

  // One append in flight; 50 more arrive while its write+fsync runs: they share the next flush.
  const first = store.append(bytes(1))
  await null
  await null
  const more = Array.from({ length: 50 }, (_, i) => store.append(bytes(2, i)))
  await Promise.all([first, ...more])
  assert.equal(store.stats.fsyncs - base, 3)
  assert.equal(store.stats.flushes, 3)
  assert.equal(store.stats.appends, 251)
  await store.close()
  assert.equal((await reopen(dir)).frames.length, 251)

  const each = await openFileStore(freshDir(), { sync: 'each' })
  const base2 = each.stats.fsyncs
  await Promise.all(Array.from({ length: 20 }, (_, i) => each.append(bytes(i))))
  assert.equal(each.stats.fsyncs - base2, 20, "sync: 'each' flushes every frame")
  assert.equal(each.stats.largestBatch, 1)
  assert.deepEqual(
    (await each.load()).frames,
    Array.from({ length: 20 }, (_, i) => bytes(i)),
  )
  await each.close()
})

test('bounded: oversized frames and snapshots are refused on append, and on load', async () => {
  const dir = freshDir()
  const store = await openFileStore(dir, { maxFrameBytes: 100, maxSnapshotBytes: 1000 })
  await assert.rejects(store.append(new Uint8Array(101)), StoreLimitError)
  await assert.rejects(store.compact(new Uint8Array(1001)), StoreLimitError)
  await store.append(new Uint8Array(100))
  await store.compact(new Uint8Array(1000))
  await store.append(new Uint8Array(100))
  await store.close()
  // A store written with larger limits is refused, not cut: the frames are intact.
  await assert.rejects(
    openFileStore(dir, { maxFrameBytes: 99 }),
    (e) => e instanceof StoreLimitError && /maxFrameBytes/.test(e.message),
  )
  await assert.rejects(openFileStore(dir, { maxSnapshotBytes: 999 }), StoreLimitError)
  const state = await reopen(dir)
  assert.equal(state.frames.length, 1)
  assert.equal(state.snapshot?.length, 1000)
  await assert.rejects(openFileStore(dir, { maxFrameBytes: -1 }), RangeError)
})

test('a closed store refuses work; close waits for pending appends', async () => {
  const dir = freshDir()
  const store = await openFileStore(dir)
  const pending = Array.from({ length: 10 }, (_, i) => store.append(bytes(i)))
  const closed = store.close()
  await assert.rejects(store.append(bytes(1)), StoreClosedError)
  await assert.rejects(store.load(), StoreClosedError)
  await Promise.all([...pending, closed])
  await store.close() // idempotent
  assert.equal((await reopen(dir)).frames.length, 10)
})

test('lock: a second open fails in this process and in another, until the first closes', async () => {
  const dir = freshDir()
  const store = await openFileStore(dir)
  await assert.rejects(openFileStore(dir), StoreLockedError)
  const child = await StoreChild.start(['open', dir])
  const refused = await child.waitFor((e) => e.event === 'opened' || e.event === 'error')
  assert.equal(refused.name, 'StoreLockedError', JSON.stringify(refused))
  assert.match(String(refused.message), new RegExp(`locked by process ${process.pid}`))
  await child.exited
  await store.close()

  const holder = await StoreChild.start(['open', dir])
  assert.equal((await holder.waitFor((e) => e.event === 'opened' || e.event === 'error')).event, 'opened')
  await assert.rejects(
    openFileStore(dir),
    (e) => e instanceof StoreLockedError && /locked by process \d+/.test(e.message),
  )
  await holder.endInput() // closes the store and exits
  assert.equal(existsSync(join(dir, 'lock')), false)
  await (await openFileStore(dir)).close()
})

test('lock: a lock left by a killed process is taken over; a live or foreign one is not', async () => {
  const dir = freshDir()
  const holder = await StoreChild.start(['open', dir])
  assert.equal((await holder.waitFor((e) => e.event === 'opened' || e.event === 'error')).event, 'opened')
  const pid = holder.child.pid!
  await holder.kill()
  assert.match(readFileSync(join(dir, 'lock'), 'utf8'), new RegExp(`"pid":${pid}`), 'the dead process left its lock')
  const store = await openFileStore(dir) // stale: taken over
  assert.match(readFileSync(join(dir, 'lock'), 'utf8'), new RegExp(`"pid":${process.pid}`))
  await store.close()

  const lock = join(dir, 'lock')
  // Our own pid but not open here: an earlier process that had this pid (containers reuse pid 1).
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), boot: '' }))
  await (await openFileStore(dir)).close()
  // Unreadable lock content cannot come from a live owner (locks appear complete): stale.
  writeFileSync(lock, 'garbage')
  await (await openFileStore(dir)).close()
  // A live process (this test's parent) holds it.
  writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), boot: '' }))
  await assert.rejects(openFileStore(dir), StoreLockedError)
  // Another machine's process cannot be checked: locked.
  writeFileSync(lock, JSON.stringify({ pid: 1, host: 'elsewhere.example', boot: '' }))
  await assert.rejects(openFileStore(dir), (e) => e instanceof StoreLockedError && /elsewhere\.example/.test(e.message))
  rmSync(lock)
  await (await openFileStore(dir)).close()
})

/** Expects opening `dir` to fail with `type` and a message matching `message`, and the lock to be released. */
async function refusesToOpen(dir: string, type: new (...args: never[]) => StoreError, message: RegExp): Promise<void> {
  await assert.rejects(openFileStore(dir), (e) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`)
    assert.match((e as Error).message, message)
    return true
  })
  assert.equal(existsSync(join(dir, 'lock')), false, 'a refused open releases the lock')
}

test('damaged log header: truncated, empty, random bytes, another format, newer version', async () => {
  const frames = [text('one'), text('two')]
  const dir = await storeWith(frames)
  const log = join(dir, 'log')
  const good = readFileSync(log)

  writeFileSync(log, good.subarray(0, 10))
  await refusesToOpen(dir, StoreCorruptError, /truncated header \(10 of 24 bytes\)/)
  writeFileSync(log, new Uint8Array(0))
  await refusesToOpen(dir, StoreCorruptError, /is empty/)
  const rand = prng(7)
  writeFileSync(
    log,
    Uint8Array.from({ length: 300 }, () => Math.floor(rand() * 256)),
  )
  await refusesToOpen(dir, StoreCorruptError, /not a DiffStream log file \(unknown magic [0-9a-f ]+\)/)
  writeFileSync(log, JSON.stringify({ some: 'other format' }))
  await refusesToOpen(dir, StoreCorruptError, /not a DiffStream log file/)
  const withSnapshot = await storeWith([], text('snap'))
  writeFileSync(log, readFileSync(join(withSnapshot, 'snapshot')))
  await refusesToOpen(dir, StoreCorruptError, /is a DiffStream snapshot file, not a log file/)

  const newer = Buffer.from(good)
  newer.writeUInt32LE(2, 8)
  writeFileSync(log, newer)
  await assert.rejects(openFileStore(dir), (e) => {
    assert.ok(e instanceof StoreVersionError)
    assert.equal(e.found, 2)
    assert.equal(e.supported, 1)
    assert.match(e.message, /format version 2; this DiffStream reads up to version 1/)
    return true
  })
  const flipped = Buffer.from(good)
  flipped[13]! ^= 0x01 // the generation, under the header checksum
  writeFileSync(log, flipped)
  await refusesToOpen(dir, StoreCorruptError, /header checksum mismatch/)

  writeFileSync(log, good) // nothing was cut or rewritten by the refused opens
  assert.deepEqual(await reopen(dir), { snapshot: null, frames, repaired: null })
})

test('damaged snapshot or missing file: refused, never read as an empty store', async () => {
  const dir = await storeWith([text('after')], text('the snapshot'))
  const snapshot = join(dir, 'snapshot')
  const good = readFileSync(snapshot)
  const flipped = Buffer.from(good)
  flipped[flipped.length - 2]! ^= 0x40
  writeFileSync(snapshot, flipped)
  await refusesToOpen(dir, StoreCorruptError, /damaged snapshot: checksum mismatch/)
  writeFileSync(snapshot, good.subarray(0, good.length - 3))
  await refusesToOpen(dir, StoreCorruptError, /damaged snapshot: frame of 12 bytes runs past/)
  const newer = Buffer.from(good)
  newer.writeUInt32LE(9, 8)
  writeFileSync(snapshot, newer)
  await refusesToOpen(dir, StoreVersionError, /version 9/)
  rmSync(snapshot)
  await refusesToOpen(dir, StoreCorruptError, /log continues snapshot 1, but there is no snapshot/)
  writeFileSync(snapshot, good)
  const log = readFileSync(join(dir, 'log'))
  rmSync(join(dir, 'log'))
  await refusesToOpen(dir, StoreCorruptError, /log is missing/)
  writeFileSync(join(dir, 'log'), log)
  assert.deepEqual(await reopen(dir), { snapshot: text('the snapshot'), frames: [text('after')], repaired: null })
})

test('a torn or corrupt log tail is cut, reported, and the good prefix kept', async () => {
  const frames = [text('alpha'), text('beta'), text('gamma'), text('delta')]
  const dir = await storeWith(frames)
  const log = join(dir, 'log')
  const good = readFileSync(log)
  const offsets = [HEADER]
  for (const f of frames) offsets.push(offsets.at(-1)! + FRAME_HEADER + f.length)

  // Torn: the last frame only partly written.
  truncateSync(log, good.length - 2)
  const torn = await reopen(dir)
  assert.deepEqual(torn.frames, frames.slice(0, 3))
  assert.match(torn.repaired!, /cut 11 bytes at offset 62 after 3 good frames: frame of 5 bytes runs past the end/)
  assert.equal(statSync(log).size, offsets[3], 'the file was truncated')
  assert.deepEqual(await reopen(dir), { snapshot: null, frames: frames.slice(0, 3), repaired: null }, 'cut once')

  // Corrupt: a flipped bit in the second frame's payload; everything from that frame on is cut.
  const flipped = Buffer.from(good)
  flipped[offsets[1]! + FRAME_HEADER + 1]! ^= 0x04
  writeFileSync(log, flipped)
  const corrupt = await reopen(dir)
  assert.deepEqual(corrupt.frames, frames.slice(0, 1))
  assert.match(corrupt.repaired!, /after 1 good frame: checksum mismatch in a frame of 4 bytes/)

  // Zeros after the last frame (a file extended but never written, as after a power cut).
  writeFileSync(log, Buffer.concat([good, Buffer.alloc(4096)]))
  const zeros = await reopen(dir)
  assert.deepEqual(zeros.frames, frames)
  assert.match(
    zeros.repaired!,
    /cut 4096 bytes at offset \d+ after 4 good frames: checksum mismatch in a frame of 0 bytes/,
  )
  // A torn frame header and a huge length.
  writeFileSync(log, Buffer.concat([good, Buffer.from([1, 2, 3])]))
  assert.match((await reopen(dir)).repaired!, /torn frame header \(3 of 8 bytes\)/)
  writeFileSync(log, Buffer.concat([good, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1])]))
  assert.match((await reopen(dir)).repaired!, /frame length 4294967295 above the limit and past the end/)
  // The repaired store keeps working.
  const store = await openFileStore(dir)
  await store.append(text('epsilon'))
  await store.close()
  assert.deepEqual((await reopen(dir)).frames, [...frames, text('epsilon')])
})

test('cut at every byte, the log opens to a prefix of whole frames or refuses with a StoreError', async () => {
  const frames = Array.from({ length: 6 }, (_, i) => new Uint8Array(i * 3).fill(i))
  const dir = await storeWith(frames)
  const log = join(dir, 'log')
  const good = readFileSync(log)
  const boundaries = new Set([HEADER])
  let at = HEADER
  for (const f of frames) boundaries.add((at += FRAME_HEADER + f.length))
  for (let cut = 0; cut < good.length; cut++) {
    writeFileSync(log, good.subarray(0, cut))
    try {
      const state = await reopen(dir)
      assert.ok(cut >= HEADER, `opened at ${cut}`)
      assert.deepEqual(state.frames, frames.slice(0, state.frames.length))
      assert.equal(state.repaired === null, boundaries.has(cut), `cut ${cut}: ${state.repaired}`)
    } catch (e) {
      assert.ok(e instanceof StoreCorruptError && cut < HEADER, `cut ${cut}: ${String(e)}`)
    }
  }
  // Random bit flips anywhere: never an error other than a StoreError, never a frame that was not written.
  const rand = prng(42)
  for (let i = 0; i < 150; i++) {
    const damaged = Buffer.from(good)
    damaged[Math.floor(rand() * damaged.length)]! ^= 1 << Math.floor(rand() * 8)
    writeFileSync(log, damaged)
    try {
      const state = await reopen(dir)
      assert.deepEqual(state.frames, frames.slice(0, state.frames.length))
      assert.ok(state.repaired !== null, 'a flipped bit is always noticed')
    } catch (e) {
      assert.ok(e instanceof StoreError, String(e))
    }
  }
})

test('every crash point of a compaction opens to the old or the new content', async () => {
  const dir = await storeWith([text('f1'), text('f2')], text('old'))
  const snapshot = join(dir, 'snapshot')
  const log = join(dir, 'log')
  const oldSnapshot = readFileSync(snapshot)
  const oldLog = readFileSync(log)
  const oldState = { snapshot: text('old'), frames: [text('f1'), text('f2')], repaired: null }

  // Crashed while writing the temporaries (before the commit): leftovers are removed, old content.
  writeFileSync(join(dir, 'snapshot.tmp'), Buffer.from(oldSnapshot).subarray(0, 20))
  writeFileSync(join(dir, 'log.tmp'), Buffer.from(oldLog).subarray(0, 5))
  assert.deepEqual(await reopen(dir), oldState)
  assert.deepEqual(readdirSync(dir).sort(), ['log', 'snapshot'])

  const store = await openFileStore(dir)
  await store.compact(text('new'))
  await store.close()
  const newLog = readFileSync(log)
  // Crashed after the snapshot's rename, before the log's: the old log is stale (its generation is
  // older), its frames are inside the new snapshot. New content, and the log is replaced.
  writeFileSync(log, oldLog)
  writeFileSync(join(dir, 'log.tmp'), newLog)
  assert.deepEqual(await reopen(dir), { snapshot: text('new'), frames: [], repaired: null })
  assert.deepEqual(readFileSync(log), newLog)
  assert.deepEqual(readdirSync(dir).sort(), ['log', 'snapshot'])
})
