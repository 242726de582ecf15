// Crash safety of the file store with real processes: a child appends and compacts as fast as it
// can and reports every frame and compaction the store called durable; it is SIGKILLed at random
// moments (in the middle of appends, group commits and compactions). On every reopen, every reported
// frame is there, in order, and the store opens. Some rounds also simulate a power cut by damaging
// the log after the last reported frame (bytes that were never acknowledged), which must be cut
// and reported.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openFileStore } from '@diffstream/core/node'
import { StoreChild } from '../helpers/store-child.js'
import { decodeWriterFrame, decodeWriterSnapshot, prng } from '../helpers/store-workload.js'

const ROUNDS = 60
const SEED = 20_240_611
const root = mkdtempSync(join(tmpdir(), 'diffstream-store-crash-'))
after(() => rmSync(root, { recursive: true, force: true }))

const HEADER = 24
const FRAME_HEADER = 8

interface Content {
  /** Frames 0..covered-1 are inside the snapshot. */
  covered: number
  /** Sequence numbers of the log's frames. */
  seqs: number[]
  repaired: string | null
}

/** Opens the store as the next process would (taking over the dead child's lock) and checks every byte. */
async function readBack(dir: string): Promise<Content> {
  const store = await openFileStore(dir)
  try {
    const state = await store.load()
    const covered = state.snapshot ? decodeWriterSnapshot(state.snapshot) : 0
    const seqs = state.frames.map(decodeWriterFrame)
    seqs.forEach((seq, i) =>
      assert.equal(seq, covered + i, `frame ${i} after a snapshot covering ${covered} is number ${seq}`),
    )
    return { covered, seqs, repaired: state.repaired }
  } finally {
    await store.close()
  }
}

/** Where the last acknowledged frame ends in the log (read as docs/store.md lays it out). */
function acknowledgedEnd(log: Buffer, lastDurable: number): number {
  let at = HEADER
  let end = HEADER
  while (at + FRAME_HEADER + 4 <= log.length) {
    const length = log.readUInt32LE(at)
    if (at + FRAME_HEADER + length > log.length) break
    const seq = log.readUInt32LE(at + FRAME_HEADER)
    at += FRAME_HEADER + length
    if (seq <= lastDurable) end = at
  }
  return end
}

/** Damages what follows the last acknowledged frame, as a power cut may leave bytes that were never fsync'd. */
function powerCut(dir: string, lastDurable: number, rand: () => number): 'torn' | 'garbage' | null {
  // Skip when a compaction was cut short: the log may then be the stale one.
  if (readdirSync(dir).some((n) => n.endsWith('.tmp'))) return null
  const path = join(dir, 'log')
  const log = readFileSync(path)
  const acknowledged = acknowledgedEnd(log, lastDurable)
  const fd = openSync(path, 'r+')
  try {
    if (log.length > acknowledged + 1 && rand() < 0.5) {
      ftruncateSync(fd, acknowledged + 1 + Math.floor(rand() * (log.length - acknowledged - 1)))
      return 'torn'
    }
    // At least 8 bytes, so that the garbage cannot by chance equal what it overwrites.
    const garbage = Uint8Array.from({ length: 8 + Math.floor(rand() * 56) }, () => Math.floor(rand() * 256))
    writeSync(fd, garbage, 0, garbage.length, acknowledged + Math.floor(rand() * (log.length - acknowledged + 1)))
    return 'garbage'
  } finally {
    closeSync(fd)
  }
}

test(
  `${ROUNDS} SIGKILLs at random moments never lose a frame the store called durable`,
  { timeout: 120_000 },
  async (t) => {
    const rand = prng(SEED)
    const dir = join(root, 'store')
    let expected: Content = { covered: 0, seqs: [], repaired: null }
    const tally = { durable: 0, compactions: 0, midCompaction: 0, torn: 0, garbage: 0, repaired: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      const child = await StoreChild.start(['write', dir, String(SEED + round)])
      const ready = await child.waitFor((e) => e.event === 'ready')
      const last = expected.seqs.at(-1) ?? expected.covered - 1
      assert.equal(ready.next, last + 1, 'the child found what the parent read back')
      if (rand() < 0.4) {
        // Aim at a compaction: kill a few milliseconds after one starts.
        await child.waitFor((e) => e.event === 'compacting' && (e.upto as number) > last + 1)
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 8)))
      } else {
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 150)))
      }
      await child.kill()
      assert.equal(child.stderr, '', 'the child did not fail by itself')

      const durable = child.events.filter((e) => e.event === 'durable').map((e) => e.seq as number)
      const compacted = child.events.filter((e) => e.event === 'compacted').map((e) => e.upto as number)
      tally.durable += durable.length
      tally.compactions += compacted.length
      if (readdirSync(dir).some((n) => n.endsWith('.tmp'))) tally.midCompaction++
      const lastDurable = Math.max(last, ...durable)

      let damage: 'torn' | 'garbage' | null = null
      if (rand() < 0.3) {
        damage = powerCut(dir, lastDurable, rand)
        if (damage) tally[damage]++
      }
      const content = await readBack(dir)
      const present = content.seqs.at(-1) ?? content.covered - 1
      assert.ok(
        present >= lastDurable,
        `round ${round}: frame ${lastDurable} was durable, the store ends at ${present}`,
      )
      assert.ok(content.covered >= Math.max(0, ...compacted), `round ${round}: a durable compaction was lost`)
      assert.ok(content.covered <= present + 1)
      if (damage === 'garbage')
        assert.notEqual(content.repaired, null, `round ${round}: garbage after the log was not reported`)
      if (content.repaired) tally.repaired++
      expected = content
    }
    t.diagnostic(JSON.stringify(tally))
    assert.ok(tally.durable > ROUNDS, 'the children did write')
    assert.ok(tally.compactions > 0, 'compactions completed')
  },
)
