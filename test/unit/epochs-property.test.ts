// Property tests of epochs in rooms: several peers write, remove fields, delete and create records
// (two at once, too) while links break and heal, peers go offline and compactions happen — automatic
// ones mid-stream and explicit ones, sometimes two at once. In the end every copy must be the same,
// in the same epoch, and the invariant must hold against a causal oracle (test/helpers/sim-net.ts):
// no write is lost unless a write, removal or deletion its writer had not seen replaced it. Each run
// counts what it went through, and the tests assert that compactions, partitions, deletions and
// concurrent creations happened. `npm run property -- --runs 10000` runs many more schedules.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { onNet, type Net } from '../helpers/sim-net.js'
import { play, runSchedule, scheduleArb, Tally, type Op, type Schedule } from '../helpers/sim-schedule.js'

const RUNS = 2000

const LEGACY_COUNTEREXAMPLE: Schedule = {
  n: 3,
  seed: 2113722952,
  legacy: 1,
  ops: [
    { t: 'offline', peer: 4 },
    { t: 'offline', peer: 3 },
    { t: 'write', peer: 2, rec: 1, field: 'c' },
    { t: 'compact', peer: 1, also: 4 },
    { t: 'deliver', picks: [2, 8, 10, 12, 15, 1] },
    { t: 'write', peer: 0, rec: 1, field: 'b' },
    { t: 'write', peer: 2, rec: 0, field: 'c' },
  ],
}

describe('epochs: random schedules over a simulated network', () => {
  test(`${RUNS} schedules: every copy converges and no write is lost`, () => {
    const tally = new Tally()
    fc.assert(
      fc.property(scheduleArb, (s) => {
        const r = runSchedule(s)
        tally.add(r)
        if (r.failure) throw new Error(r.failure)
      }),
      { seed: 42, numRuns: RUNS },
    )
    console.log(`# ${tally.summary()}`)
    // The property says little unless the interesting cases happened, and often.
    assert.ok(tally.runsWith.compactions > RUNS * 0.8, `compactions in only ${tally.runsWith.compactions} runs`)
    assert.ok(tally.runsWith.deletes > RUNS / 4, `deletions in only ${tally.runsWith.deletes} runs`)
    assert.ok(
      tally.runsWith.concurrentCreations > RUNS / 10,
      `concurrent creations in only ${tally.runsWith.concurrentCreations} runs`,
    )
    assert.ok(tally.runsWith.partitions > RUNS / 2, `partitions in only ${tally.runsWith.partitions} runs`)
    assert.ok(
      tally.totals.longestPartition >= 50,
      `the longest partition lasted ${tally.totals.longestPartition} steps`,
    )
  })

  // A known limit (docs/compaction.md, "Known limits"): a y-webrtc peer resolves concurrent creations
  // and writes the Yjs way, collects the loser's content and relays the deletion on its own, so a copy
  // that meets the deletion before the winner loses the loser's fields. Shrunk by `npm run property --
  // --legacy` (4% of such schedules fail: bench/results/property-legacy.md): peer 2 creates r1 (field c),
  // peer 0 creates r1 offline (field b), the y-webrtc peer relays peer 0's r1 already deleted and
  // collected to peer 2, which relays it to peer 0: r1 ends lost on every copy.
  test(
    'with a y-webrtc peer relaying, concurrent creations keep both sides',
    { todo: 'fails: ' + JSON.stringify(LEGACY_COUNTEREXAMPLE) },
    () => {
      const r = runSchedule(LEGACY_COUNTEREXAMPLE)
      assert.equal(r.failure, null)
    },
  )
})

/** A network of n peers with only explicit compactions, where peer 0 created r0..r2 and every peer holds them. */
function withRecords(n: number, seed: number, fn: (net: Net) => void): void {
  onNet({ n, seed, compaction: false }, (net) => {
    for (const rec of ['r0', 'r1', 'r2']) net.write(0, rec, 'a')
    net.settle()
    fn(net)
  })
}

/** Runs a scenario under several seeds: epoch salts and client ids decide which epoch and which concurrent write win. */
function forSeeds(n: number, scenario: (net: Net) => void, seeds = 12): void {
  for (let seed = 1; seed <= seeds; seed++) {
    try {
      withRecords(n, seed, scenario)
    } catch (err) {
      throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err })
    }
  }
}

describe('epochs: scenarios', () => {
  test('a peer offline across two compactions by others keeps its edits, losing only to later writes', () => {
    forSeeds(3, (net) => {
      net.setOffline(2, true)
      const onlyOffline = net.write(2, 'r0', 'a')
      const sameField = net.write(2, 'r0', 'b')
      net.write(2, 'r1', 'a')
      const ownSecond = net.write(2, 'r1', 'a')
      const concurrent = net.write(0, 'r0', 'b')
      net.write(0, 'r0', 'c')
      net.settle()
      net.compact(0)
      net.settle()
      const later = net.write(1, 'r0', 'c')
      net.settle()
      net.compact(1)
      net.settle()
      assert.equal(Math.floor(net.peers[0]!.epoch / 2 ** 20), 2, 'two generations behind the offline peer')

      net.setOffline(2, false)
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      const r0 = net.read(0, 'r0')!
      assert.equal(r0.a, onlyOffline)
      // Two writes of r0.b that did not see each other: the one with the larger stamp wins, on every copy.
      assert.ok([sameField, concurrent].includes(r0.b as string))
      assert.equal(r0.c, later)
      assert.equal(net.read(0, 'r1')!.a, ownSecond)

      const afterReturn = net.write(0, 'r0', 'b')
      net.settle()
      net.assertConverged()
      assert.equal(net.read(2, 'r0')!.b, afterReturn)
    })
  })

  test('two peers compacting at once, then meeting: the larger epoch wins and both keep their edits', () => {
    forSeeds(3, (net) => {
      // Written and compacted before any frame moves: neither compaction holds the other's write.
      const a0 = net.write(0, 'r0', 'a')
      const b1 = net.write(1, 'r0', 'b')
      const c0 = net.write(0, 'r1', 'c')
      const c1 = net.write(1, 'r1', 'c')
      net.compact(0, 1)
      const [e0, e1] = [net.peers[0]!.epoch, net.peers[1]!.epoch]
      assert.notEqual(e0, e1)
      // Edits on both branches; one of them will lose.
      const a0after = net.write(0, 'r2', 'a')
      const b1after = net.write(1, 'r2', 'b')
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      assert.equal(net.peers[2]!.epoch, Math.max(e0, e1))
      assert.deepEqual(net.read(2, 'r0')!, { key: 'r0', a: a0, b: b1 })
      assert.ok([c0, c1].includes(net.read(2, 'r1')!.c as string))
      assert.deepEqual(net.read(2, 'r2')!, { key: 'r2', a: a0after, b: b1after })
    })
  })

  test('a partition where each side compacts and edits, then heals', () => {
    forSeeds(3, (net) => {
      net.setLink(0, 2, false)
      net.setLink(1, 2, false)
      const a0 = net.write(0, 'r0', 'a')
      const b2 = net.write(2, 'r0', 'b')
      const c1 = net.write(1, 'r1', 'c')
      const c2 = net.write(2, 'r1', 'c')
      net.settle()
      net.compact(0)
      net.settle()
      net.compact(2)
      net.settle()
      const a1 = net.write(1, 'r2', 'a')
      const b2after = net.write(2, 'r2', 'b')
      const c0 = net.write(0, 'r2', 'c')
      const c2after = net.write(2, 'r2', 'c')
      net.settle()
      net.healAll()
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      assert.equal(net.read(1, 'r0')!.a, a0)
      assert.equal(net.read(1, 'r0')!.b, b2)
      assert.ok([c1, c2].includes(net.read(1, 'r1')!.c as string))
      assert.equal(net.read(1, 'r2')!.a, a1)
      assert.equal(net.read(1, 'r2')!.b, b2after)
      assert.ok([c0, c2after].includes(net.read(1, 'r2')!.c as string))
    })
  })

  test(
    'a partition where one side overwrites its own earlier write, each side compacts, then heals: the overwrite stays',
    {},
    () => {
      forSeeds(3, (net) => {
        net.setLink(0, 2, false)
        net.setLink(1, 2, false)
        net.write(0, 'r0', 'a')
        net.settle()
        const overwrite = net.write(1, 'r0', 'a')
        net.write(2, 'r0', 'b')
        net.settle()
        net.compact(0)
        net.compact(2)
        net.settle()
        net.healAll()
        net.settle()
        net.assertConverged()
        net.assertNoLostWrite()
        assert.equal(net.read(2, 'r0')!.a, overwrite)
      })
    },
  )
})

// Each of these is the smallest schedule found (by fast-check's shrinking or by hand) for a defect of
// the journal that stamps replaced (docs/compaction.md); they stay as regression tests.
describe('epochs: minimal schedules of past defects', () => {
  test('a missed write and its overwrite: a copy that saw its write overwritten does not replay it', {}, () => {
    // Shrunk by fast-check (seed 3, 1500 runs): peer 2 writes r0.b; only peer 0 receives it; peer 1 compacts without it;
    // peer 0 overwrites it (and peer 2 receives that in epoch 0); on healing, peers 0 and 2 both adopt peer 1's
    // epoch; peer 2 used to replay 2:0 although it held 0:1, and 2:0 won under this seed.
    withRecords(3, 0, (net) => {
      play(net, <Op[]>[
        { t: 'write', peer: 2, rec: 0, field: 'b' },
        { t: 'deliver', picks: [0] },
        { t: 'compact', peer: 1, also: null },
        { t: 'write', peer: 0, rec: 0, field: 'b' },
      ])
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test('a missed write replayed after its overwrite was replayed: the old value wins every time', {}, () => {
    forSeeds(3, (net) => {
      net.setLink(0, 1, false)
      net.setLink(1, 2, false)
      net.write(2, 'r0', 'b')
      net.settle()
      net.compact(1)
      net.setOffline(2, true)
      net.write(0, 'r0', 'b')
      net.setLink(0, 1, true)
      net.settle()
      net.healAll()
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test('after eight compactions, an old record creation is not replayed over a field written since', {}, () => {
    forSeeds(2, (net) => {
      for (let i = 0; i < 8; i++) {
        net.compact(0)
        net.settle()
      }
      // Peer 1 writes and compacts while cut off: peer 0 must then adopt generation 9 from a base.
      net.setLink(0, 1, false)
      net.write(1, 'r0', 'a')
      net.compact(1)
      net.setLink(0, 1, true)
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test('a write replayed into one epoch is not replayed again on the next move', {}, () => {
    // Shrunk by fast-check from the property above, against the core with the first fixes in.
    withRecords(3, 0, (net) => {
      play(net, <Op[]>[
        { t: 'compact', peer: 0, also: null },
        { t: 'write', peer: 1, rec: 0, field: 'a' },
        { t: 'deliver', picks: [0, 0, 0] },
        { t: 'deliver', picks: [0, 0] },
        { t: 'deliver', picks: [0, 0, 1] },
        { t: 'compact', peer: 0, also: 1 },
        { t: 'write', peer: 0, rec: 0, field: 'a' },
      ])
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test('a record created offline and edited again offline survives compactions it missed', {}, () => {
    forSeeds(3, (net) => {
      net.setOffline(2, true)
      const created = net.write(2, 'fresh', 'a')
      const edited = net.write(2, 'fresh', 'b')
      net.compact(0)
      net.settle()
      net.setOffline(2, false)
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
      assert.deepEqual(net.peers[0]!.mirror.read('fresh'), { key: 'fresh', a: created, b: edited })
    })
  })

  test('a partition in which both sides compact nine times: the losing side keeps its writes', {}, () => {
    forSeeds(2, (net) => {
      net.setLink(0, 1, false)
      net.write(0, 'r0', 'a')
      for (let i = 0; i < 9; i++) net.compact(0, 1)
      net.write(0, 'r1', 'b')
      for (let i = 0; i < 30; i++) net.compact(0, 1)
      net.healAll()
      net.settle()
      net.assertConverged()
      net.assertNoLostWrite()
    })
  })

  test('compacting an empty document: a peer that needs that epoch gets its base and accepts it', {}, () => {
    withRecords(3, 1, (net) => {
      net.setOffline(2, true)
      for (const rec of ['r0', 'r1', 'r2']) net.deleteRecord(0, rec)
      net.settle()
      net.compact(0)
      net.settle()
      net.setOffline(2, false)
      net.settle()
      net.assertConverged()
    })
  })

  test(
    'two peers creating the same record at once (no compaction at all): the fields of both creators survive',
    {},
    () => {
      onNet({ n: 3, seed: 0, compaction: false }, (net) => {
        play(net, <Op[]>[
          { t: 'write', peer: 1, rec: 0, field: 'c' },
          { t: 'write', peer: 0, rec: 0, field: 'a' },
        ])
        net.assertConverged()
        net.assertNoLostWrite()
      })
    },
  )
})

describe('epochs: shrunk schedules that failed once', () => {
  // A copy held a value deleted by an overwrite it had not integrated yet; the deletion took the
  // stamp just above the value with the same writer — the overwrite's exact stamp — so a base made
  // there held a deletion that tied with the overwrite, and the join kept the deletion (stamps.ts).
  test('a deletion a copy infers does not tie with the overwrite it stands for', () => {
    assert.equal(
      runSchedule(
        JSON.parse(
          '{"n": 5, "seed": -212583079, "legacy": 0, "ops": [{"t": "write", "peer": 3, "rec": 1, "field": "b"}, {"t": "write", "peer": 0, "rec": 0, "field": "b"}, {"t": "deliver", "picks": [0, 5, 7, 5, 0, 0]}, {"t": "write", "peer": 1, "rec": 3, "field": "c"}, {"t": "write", "peer": 0, "rec": 2, "field": "c"}, {"t": "deliver", "picks": [17, 3, 11, 14, 2, 13]}, {"t": "deliver", "picks": [4, 4, 3, 9, 12, 17, 14, 10, 5, 19, 7, 11]}, {"t": "deliver", "picks": [4, 8]}, {"t": "write", "peer": 2, "rec": 0, "field": "c"}, {"t": "tick"}, {"t": "delete", "peer": 2, "rec": 0}, {"t": "write", "peer": 3, "rec": 2, "field": "c"}, {"t": "write", "peer": 1, "rec": 1, "field": "b"}, {"t": "deliver", "picks": [6, 11, 2, 16, 18, 6, 9, 14, 0]}, {"t": "write", "peer": 0, "rec": 1, "field": "c"}, {"t": "deliver", "picks": [8, 3, 4, 15, 5, 13, 5, 19, 15, 18, 9, 9]}, {"t": "write", "peer": 2, "rec": 3, "field": "b"}, {"t": "write", "peer": 2, "rec": 3, "field": "b"}, {"t": "deliver", "picks": [15, 16, 3, 6, 14, 6, 3, 13, 15, 14]}, {"t": "link", "pair": 4}, {"t": "write", "peer": 4, "rec": 1, "field": "a"}, {"t": "write", "peer": 2, "rec": 2, "field": "b"}, {"t": "offline", "peer": 3}, {"t": "write", "peer": 2, "rec": 0, "field": "b"}, {"t": "link", "pair": 8}, {"t": "deliver", "picks": [6, 14, 15, 13, 5]}, {"t": "write", "peer": 4, "rec": 1, "field": "b"}, {"t": "write", "peer": 0, "rec": 2, "field": "b"}, {"t": "deliver", "picks": [9, 16, 16, 16, 10, 0, 17, 10]}, {"t": "deliver", "picks": [5, 18, 5, 6, 18, 9, 2, 17, 9, 1]}, {"t": "link", "pair": 4}, {"t": "write", "peer": 4, "rec": 1, "field": "a"}]}',
        ) as Schedule,
      ).failure,
      null,
    )
  })
  // Updates of different writers travel different broadcast trees: peer 0 held peer 3's record but
  // not peer 1's that peer 3 had seen, and created that record itself, concurrently (sim-oracle.ts).
  test('a write is concurrent with what its copy had not received, whatever else it had', () => {
    assert.equal(
      runSchedule(
        JSON.parse(
          '{"n":5,"seed":-22,"legacy":0,"ops":[{"t":"offline","peer":2},{"t":"tick"},{"t":"write","peer":1,"rec":0,"field":"a"},{"t":"tick"},{"t":"deliver","picks":[3,15,3,16,6,5,10,6,5,4,9,17]},{"t":"deliver","picks":[2,3,6,14,15]},{"t":"write","peer":3,"rec":2,"field":"a"},{"t":"deliver","picks":[13,0,5,19,9]},{"t":"write","peer":0,"rec":0,"field":"a"}]}',
        ) as Schedule,
      ).failure,
      null,
    )
  })
})
