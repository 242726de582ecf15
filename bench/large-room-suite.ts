import { barChartSvg, chartLinks, type Chart } from './charts.js'
import { fmt, machineInfo, markdownTable } from './report.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'
import { runScenario, scenarioFor, type ScenarioResult } from '../test/helpers/sim/scenario.js'
import type { RelayMode } from '../core/src/net/broadcast.js'

/*
 * `large-room`: rooms of 50, 100 and 200 peers on the simulated network (test/helpers/sim: the real
 * Replica, broadcast trees, membership and heartbeat of every peer, in virtual time), one or two
 * writers streaming for 10 s while peers join, leave, crash, freeze, go offline and links break.
 * DiffStream's broadcast trees against flooding (every new update to every other link, y-webrtc's
 * way) on the same overlay and the same seeded schedules.
 */

interface LargeRoomConfig {
  sizes: number[]
  /** Seeded schedules per size, for each relay mode. */
  seeds: Record<RelayMode, number>
  streamMs: number
}

const DEFAULT: LargeRoomConfig = { sizes: [50, 100, 200], seeds: { tree: 5, flood: 3 }, streamMs: 10_000 }
const QUICK: LargeRoomConfig = { sizes: [50, 100], seeds: { tree: 2, flood: 1 }, streamMs: 5_000 }

interface Row {
  n: number
  relay: RelayMode
  schedules: number
  converged: number
  receptions: number
  hopsP50: number
  hopsP99: number
  spreadP50Ms: number
  spreadP99Ms: number
  updateBytes: number
  frames: number
  maxDegree: number
  churnEvents: number
  wallS: number
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)

function row(n: number, relay: RelayMode, rs: readonly ScenarioResult[]): Row {
  return {
    n,
    relay,
    schedules: rs.length,
    converged: rs.filter((r) => r.converged).length,
    receptions: mean(rs.map((r) => r.meanReceptions)),
    hopsP50: mean(rs.map((r) => r.hops.p50)),
    hopsP99: Math.max(...rs.map((r) => r.hops.p99)),
    spreadP50Ms: mean(rs.map((r) => r.spreadMs.p50)),
    spreadP99Ms: mean(rs.map((r) => r.spreadMs.p99)),
    updateBytes: mean(rs.map((r) => r.updateBytesPerWritePeer)),
    frames: mean(rs.map((r) => r.framesPerWritePeer)),
    maxDegree: Math.max(...rs.map((r) => r.maxDegree)),
    churnEvents: rs.reduce((a, r) => a + Object.values(r.happened).reduce((x, y) => x + y, 0), 0),
    wallS: rs.reduce((a, r) => a + r.wallMs, 0) / 1000,
  }
}

const label = (relay: RelayMode): string => (relay === 'tree' ? 'DiffStream (broadcast trees)' : 'flooding (y-webrtc)')

function table(rows: readonly Row[]): string {
  return markdownTable(
    [
      'peers',
      'relay',
      'converged',
      'receptions per update and peer',
      'hops p50 / p99',
      'time to reach every peer p50 / p99',
      'update bytes per update and peer',
      'frames per update and peer',
      'max links',
    ],
    rows.map((r) => [
      String(r.n),
      label(r.relay),
      `${r.converged} / ${r.schedules}`,
      fmt(r.receptions, 2),
      `${fmt(r.hopsP50, 1)} / ${r.hopsP99}`,
      `${fmt(r.spreadP50Ms, 0)} / ${fmt(r.spreadP99Ms, 0)} ms`,
      fmt(r.updateBytes, 0),
      fmt(r.frames, 2),
      String(r.maxDegree),
    ]),
    ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
}

function charts(rows: readonly Row[], sizes: readonly number[], note: string): Chart[] {
  const groups = sizes.map((n) => `${n} peers`)
  const of = (relay: RelayMode, f: (r: Row) => number): Array<number | null> =>
    sizes.map((n) => {
      const r = rows.find((x) => x.n === n && x.relay === relay)
      return r ? f(r) : null
    })
  const bar = (
    name: string,
    title: string,
    yLabel: string,
    series: Array<{ name: string; values: Array<number | null> }>,
    log = false,
  ): Chart => ({
    name,
    title,
    svg: barChartSvg({ title, yLabel, groups, series, note, log }),
  })
  return [
    bar('large-room-receptions', 'Receptions of each update per peer, with churn', 'receptions', [
      { name: label('tree'), values: of('tree', (r) => r.receptions) },
      { name: label('flood'), values: of('flood', (r) => r.receptions) },
    ]),
    bar('large-room-hops', 'Hops from the writer to a peer', 'hops', [
      { name: 'trees p50', values: of('tree', (r) => r.hopsP50) },
      { name: 'trees p99', values: of('tree', (r) => r.hopsP99) },
      { name: 'flooding p50', values: of('flood', (r) => r.hopsP50) },
      { name: 'flooding p99', values: of('flood', (r) => r.hopsP99) },
    ]),
    bar('large-room-spread', 'Time for an update to reach every peer', 'ms', [
      { name: 'trees p50', values: of('tree', (r) => r.spreadP50Ms) },
      { name: 'trees p99', values: of('tree', (r) => r.spreadP99Ms) },
      { name: 'flooding p50', values: of('flood', (r) => r.spreadP50Ms) },
      { name: 'flooding p99', values: of('flood', (r) => r.spreadP99Ms) },
    ]),
  ]
}

function goalChecks(rows: readonly Row[]): Check[] {
  return rows
    .filter((r) => r.relay === 'tree')
    .flatMap((r) => [
      {
        goal: `${r.n} peers: every schedule converges with at most 8 links per peer`,
        pass: r.converged === r.schedules && r.maxDegree <= 8,
        detail: `${r.converged} of ${r.schedules} converged, at most ${r.maxDegree} links`,
      },
      {
        goal: `${r.n} peers: ≤ 1.3 receptions per update and peer`,
        pass: r.receptions <= 1.3,
        detail: `${fmt(r.receptions, 2)} (flooding: ${fmt(rows.find((x) => x.n === r.n && x.relay === 'flood')?.receptions ?? NaN, 2)})`,
      },
      {
        goal: `${r.n} peers: p99 hops ≤ 2·log2(n) = ${fmt(2 * Math.log2(r.n), 1)}`,
        pass: r.hopsP99 <= 2 * Math.log2(r.n),
        detail: `p99 ${r.hopsP99}`,
      },
    ])
}

export const largeRoomSuite: Suite = {
  name: 'large-room',
  description:
    'Rooms of 50, 100 and 200 peers on the simulated network, with churn: receptions per update, hops and time to reach every peer, broadcast trees against flooding',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : DEFAULT
    const machine = machineInfo(['@diffstream/core', 'yjs'])
    const rows: Row[] = []
    const results: Array<Record<string, unknown>> = []
    for (const n of config.sizes) {
      for (const relay of ['tree', 'flood'] as const) {
        const rs: ScenarioResult[] = []
        for (let i = 0; i < config.seeds[relay]; i++) {
          const c = scenarioFor(n, options.seed + i, relay)
          c.streamMs = config.streamMs
          const r = runScenario(c)
          rs.push(r)
          results.push({ ...r })
          // Yield between schedules, so the event loop (and Ctrl-C) gets a turn.
          await new Promise((resolve) => setImmediate(resolve))
        }
        const line = row(n, relay, rs)
        rows.push(line)
        console.error(
          `  ${n} peers, ${relay}: ${line.converged}/${line.schedules} converged, ${fmt(line.receptions, 2)} receptions per update, ` +
            `p99 hops ${line.hopsP99} (${fmt(line.wallS, 1)} s)`,
        )
      }
    }
    const note = `${options.quick ? 'smoke run (--quick), ' : ''}simulated network, seeds ${options.seed}…, ${config.streamMs / 1000} s streams with churn · ${String(machine['date']).slice(0, 10)}`
    const chartList = charts(rows, config.sizes, note)
    const links = chartLinks(chartList, options.quick ? '-quick' : '')
    const head = table(rows)
    const explain =
      `Each schedule: n peers join over 3 s (maximum 8 links each, a random partial mesh), then one or two writers make 20 writes/s for ${config.streamMs / 1000} s ` +
      '(auction lots; every 37th write deletes one) while, per 25 peers, 2 peers join, 1 leaves, 1 crashes (no word), 1 freezes (half the time longer than the 15 s heartbeat), ' +
      '1 goes offline for 0.5–3.5 s, 2 links break silently and 2 close; then 40 s (virtual) to settle before every copy is compared. ' +
      'Links have 5–40 ms latency, signaling 5–60 ms, a connection 30–200 ms. ' +
      '*Receptions*: update-carrying frames (relays and sync answers) that held each write, per peer that got it. *Hops*: links crossed to reach a peer first. ' +
      '*Time to reach every peer*: per write, until the last peer that was online then (and not frozen or offline meanwhile) had it; the p99 includes writes that a broken link delayed until the heartbeat or a digest repaired it. ' +
      'Flooding runs on the same overlay (same membership, bounded degree), relaying every new update to every other link.'
    const markdown = [
      '# Large rooms: broadcast trees against flooding (simulated network)',
      '',
      `${String(machine['date'])} · Node ${String(machine['node'])} · ${String(machine['cpuModel'])} × ${String(machine['cpuCount'])} · ` +
        `${config.seeds.tree} schedules per size with trees, ${config.seeds.flood} with flooding, seeds from ${options.seed}`,
      '',
      ...(options.quick ? ['**Smoke run (`--quick`)**: fewer sizes, schedules and a shorter stream.', ''] : []),
      head,
      '',
      explain,
      '',
      links,
      '',
      'Replay any schedule: `node --import tsx scripts/sim-room.ts --n 200 --seed 314159 [--relay flood]`.',
      '',
    ].join('\n')
    return {
      markdown,
      data: {
        suite: 'large-room',
        machine,
        config: { ...config, quick: options.quick, seed: options.seed },
        rows,
        results,
      },
      checks: goalChecks(rows),
      summary: [head, '', links].join('\n'),
      charts: chartList,
    }
  },
}
