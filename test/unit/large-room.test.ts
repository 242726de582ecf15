// Large rooms on the simulated network (test/helpers/sim): the real Replica, broadcast trees,
// membership and heartbeat of each peer, hundreds of peers, seeded delays, joins, leaves, crashes,
// frozen peers, peers going offline and links breaking (silently or with a close) while writers
// stream. Every schedule must converge with a bounded degree, each peer receiving each update about
// once over few hops; flooding (y-webrtc's way) in the same simulator is the baseline.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  NO_CHURN,
  runScenario,
  scenarioFor,
  type ScenarioConfig,
  type ScenarioResult,
} from '../helpers/sim/scenario.js'
import { mulberry32 } from '../helpers/prng.js'
import { SimNet, type SimPeer } from '../helpers/sim/network.js'
import { components } from '../helpers/sim/components.js'

const MAX_DEGREE = 8

/** How to replay one schedule by hand. */
const replay = (c: ScenarioConfig): string =>
  `node --import tsx scripts/sim-room.ts --n ${c.n} --seed ${c.seed}${c.relay === 'flood' ? ' --relay flood' : ''}`

function check(r: ScenarioResult): void {
  const c = r.config
  const where = `n=${c.n} seed=${c.seed} (replay: ${replay(c)})`
  assert.ok(r.converged, `${where}: ${r.failures.join('; ')}`)
  assert.ok(r.maxDegree <= MAX_DEGREE, `${where}: a peer held ${r.maxDegree} links`)
  assert.ok(r.meanReceptions <= 1.3, `${where}: ${r.meanReceptions.toFixed(3)} receptions per update and peer`)
  assert.ok(r.hops.p99 <= 2 * Math.log2(c.n), `${where}: p99 ${r.hops.p99} hops`)
  // The churn the schedule asked for happened (a schedule without it would prove little).
  for (const [kind, want] of Object.entries(c.churn)) {
    if (want > 0) assert.ok(r.happened[kind as keyof typeof r.happened] > 0, `${where}: no ${kind} happened`)
  }
}

function summary(rs: readonly ScenarioResult[]): string {
  const max = (f: (r: ScenarioResult) => number): string => Math.max(...rs.map(f)).toFixed(2)
  const mean = (f: (r: ScenarioResult) => number): string => (rs.reduce((a, r) => a + f(r), 0) / rs.length).toFixed(2)
  return (
    `${rs.length} schedules of ${rs[0]!.config.n} peers: receptions per update mean ${mean((r) => r.meanReceptions)} ` +
    `max ${max((r) => r.meanReceptions)}; p99 hops max ${max((r) => r.hops.p99)}; ` +
    `spread p99 mean ${mean((r) => r.spreadMs.p99)} ms; churn events ${rs.reduce((a, r) => a + Object.values(r.happened).reduce((x, y) => x + y, 0), 0)}`
  )
}

describe('large rooms on the simulated network', { timeout: 240_000 }, () => {
  // 36 + 10 + 4 = 50 schedules, each with joins, leaves, crashes, frozen peers, offline periods
  // and broken links during a 10 s stream of one or two writers.
  for (const [n, count, base] of [
    [50, 36, 5000],
    [100, 10, 6000],
    [200, 4, 7000],
  ] as const) {
    test(`${n} peers, degree <= ${MAX_DEGREE}, ${count} seeded schedules with churn: all converge, <= 1.3 receptions per update, p99 hops <= 2 log2 n`, async () => {
      const results: ScenarioResult[] = []
      for (let i = 0; i < count; i++) {
        const r = runScenario(scenarioFor(n, base + i))
        check(r)
        results.push(r)
        // Replicas queue their flush as a microtask, which holds them until the event loop turns.
        await new Promise((resolve) => setImmediate(resolve))
      }
      console.log(summary(results))
    })
  }

  test('flooding (every new update to every other link, as y-webrtc does) in the same simulator costs several times more', () => {
    for (const seed of [1, 2]) {
      const tree = runScenario(scenarioFor(50, seed, 'tree'))
      const flood = runScenario(scenarioFor(50, seed, 'flood'))
      assert.ok(tree.converged && flood.converged, `seed ${seed}: ${[...tree.failures, ...flood.failures].join('; ')}`)
      console.log(
        `50 peers, seed ${seed}: receptions per update ${tree.meanReceptions.toFixed(2)} (tree) vs ${flood.meanReceptions.toFixed(2)} (flooding); ` +
          `update bytes per update and peer ${tree.updateBytesPerWritePeer.toFixed(0)} vs ${flood.updateBytesPerWritePeer.toFixed(0)}`,
      )
      assert.ok(flood.meanReceptions > 3 * tree.meanReceptions, 'flooding should cost several receptions per update')
    }
  })

  test('a room without churn settles into trees: about one reception per update', () => {
    const c = scenarioFor(100, 42)
    const r = runScenario({ ...c, churn: NO_CHURN })
    check(r)
    assert.ok(r.meanReceptions < 1.12, `${r.meanReceptions}`)
  })

  test('a peer back from a network drop (no bye, no close seen) replaces its stale links at once, long before the heartbeat', () => {
    const net = new SimNet(mulberry32(9), { maxConns: 8, heartbeatMs: 15_000, closeReported: 0 })
    const peers = Array.from({ length: 6 }, (_, i) => net.join(i === 0))
    net.runUntil(5_000)
    const writer = peers[0]!
    const dropped = peers[3]!
    assert.ok(dropped.degree > 0)
    // Its network goes: every link silently dead (nothing reported on either side), its signaling gone.
    net.networkDrop(dropped)
    writer.work(() => writer.replica.write('lot', { key: 'lot', price: 1 }, 'test'))
    net.runUntil(6_000)
    const held = peers.filter((p) => p !== dropped && p.mesh.peers.includes(dropped.id)).length
    assert.ok(held > 0, 'the others still hold links to it (no close was reported)')
    net.goOnline(dropped)
    net.runUntil(7_500)
    // Within 1.5 s (the heartbeat timeout is 15 s), its announce replaced the stale links.
    assert.ok(dropped.degree > 0, 'it is linked again')
    assert.deepEqual(dropped.replica.mirror.read('lot'), { key: 'lot', price: 1 })
    assert.deepEqual(net.failures, [])
  })

  test('a peer frozen longer than the heartbeat timeout is dropped by the others within it, then rejoins and catches up', () => {
    const net = new SimNet(mulberry32(3), { maxConns: 8, heartbeatMs: 3_000 })
    const peers = Array.from({ length: 8 }, (_, i) => net.join(i === 0))
    net.runUntil(5_000)
    const frozen = peers[5]!
    const neighbours = peers.filter((p) => p.mesh.peers.includes(frozen.id))
    assert.ok(neighbours.length > 0)
    net.freeze(frozen, 6_000)
    net.runUntil(5_000 + 3_000 + 300)
    for (const p of neighbours) assert.ok(!p.mesh.peers.includes(frozen.id), `${p.id} still links the frozen peer`)
    peers[0]!.work(() => peers[0]!.replica.write('lot', { key: 'lot', price: 2 }, 'test'))
    net.runUntil(14_000)
    assert.ok(frozen.degree > 0, 'it rejoined')
    assert.deepEqual(frozen.replica.mirror.read('lot'), { key: 'lot', price: 2 })
    assert.deepEqual(net.failures, [])
  })
})

// Peers that join at once with a small maxConns can link up among themselves first: an island of
// two (one link each, so not lonely) or a ring of three at maxConns 2, while every other peer is
// full. Before islands were merged (docs/rooms.md, "Islands are merged") these schedules stayed split
// for good and the island's copies never synced.
describe('islands formed by concurrent joins merge', () => {
  /**
   * Joins `n` peers at once, or over `spreadMs` in a seeded order (the first writes at 5 s), runs
   * until `untilMs`; the first moment from which the room stays one component.
   */
  function joinAtOnce(seed: number, n: number, maxConns: number, untilMs: number, spreadMs = 0) {
    const net = new SimNet(mulberry32(seed), { maxConns })
    const peers: SimPeer[] = []
    if (spreadMs === 0) for (let i = 0; i < n; i++) peers.push(net.join(i === 0))
    else for (let i = 0; i < n; i++) net.queue.after(net.random() * spreadMs, () => peers.push(net.join(peers.length === 0)))
    let oneSince: number | null = null
    for (let t = 250; t <= untilMs; t += 250) {
      net.runUntil(t)
      if (t === 5_000) peers[0]!.work(() => peers[0]!.replica.write('lot', { key: 'lot', price: 7 }, 'test'))
      if (components(net).length === 1) oneSince ??= t
      else oneSince = null
    }
    return { net, peers, oneSince }
  }

  // Seeds found with the membership of before: 191 leaves the producer and one consumer an island of
  // two (the others full at 3 links), 129 two consumers.
  for (const seed of [191, 129]) {
    test(`a producer and 5 consumers at maxConns 3, seed ${seed}: one component, every copy current`, () => {
      const { net, peers, oneSince } = joinAtOnce(seed, 6, 3, 60_000)
      const where = `seed ${seed}: ${components(net)
        .map((c) => c.map((p) => `${p.index}(${p.degree})`).join(' '))
        .join(' | ')}`
      assert.ok(oneSince !== null && oneSince <= 30_000, `${where}: one component from ${oneSince}`)
      for (const p of peers) assert.deepEqual(p.replica.mirror.read('lot'), { key: 'lot', price: 7 }, `${where}: peer ${p.index}`)
      for (const p of peers) assert.ok(p.maxDegree <= 3, `${where}: peer ${p.index} held ${p.maxDegree} links`)
      assert.deepEqual(net.failures, [])
    })
  }

  test('seeded joins at once or within 2 s, maxConns 2-4, 4-12 peers: one component within 30 s, degree <= maxConns', async () => {
    let runs = 0
    let worst = 0
    for (const maxConns of [2, 3, 4]) {
      for (let n = 4; n <= 12; n++) {
        for (let k = 0; k < 8; k++) {
          const seed = 10_000 * maxConns + 100 * n + k
          const spreadMs = k % 2 === 0 ? 0 : 2_000
          const { net, peers, oneSince } = joinAtOnce(seed, n, maxConns, 45_000, spreadMs)
          const where = `maxConns ${maxConns}, ${n} peers, seed ${seed}, joins within ${spreadMs} ms`
          assert.ok(
            oneSince !== null && oneSince <= 30_000,
            `${where}: ${components(net).map((c) => c.length).join(' + ')} peers, one component from ${oneSince}`,
          )
          for (const p of peers) assert.ok(p.maxDegree <= maxConns, `${where}: peer ${p.index} held ${p.maxDegree} links`)
          for (const p of peers) assert.deepEqual(p.replica.mirror.read('lot'), { key: 'lot', price: 7 }, `${where}: peer ${p.index}`)
          assert.deepEqual(net.failures, [], where)
          worst = Math.max(worst, oneSince)
          runs++
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    console.log(`${runs} schedules: one component at the latest ${worst / 1000} s after the joins`)
  })
})
