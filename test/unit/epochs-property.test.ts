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
import { play, runSchedule, scheduleArb, Tally, type Op } from '../helpers/sim-schedule.js'

const RUNS = 500

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
    assert.ok(tally.runsWith.concurrentCreations > RUNS / 10, `concurrent creations in only ${tally.runsWith.concurrentCreations} runs`)
    assert.ok(tally.runsWith.partitions > RUNS / 2, `partitions in only ${tally.runsWith.partitions} runs`)
    assert.ok(tally.totals.longestPartition >= 50, `the longest partition lasted ${tally.totals.longestPartition} steps`)
  })
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

  test(
    'a missed write replayed after its overwrite was replayed: the old value wins every time',
    {},
    () => {
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
    },
  )

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

  test(
    'a partition in which both sides compact nine times: the losing side keeps its writes',
    {},
    () => {
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
    },
  )

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
