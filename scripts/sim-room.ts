/**
 * Schedules of the large-room simulator (test/helpers/sim). One schedule prints its result as JSON:
 * the command a failing schedule of test/unit/large-room.test.ts prints to replay it. With
 * `--schedules N`, runs seeds seed … seed+N−1 for each `--n` and prints one line per schedule and a
 * summary (written as Markdown to `--out` when given).
 *   node --import tsx scripts/sim-room.ts --n 200 --seed 7 [--relay flood] [--no-churn] [--stream-ms 10000]
 *   node --import tsx scripts/sim-room.ts --n 50,100,200 --schedules 100 --seed 1 --out bench/results/large-room-schedules.md
 */
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import {
  NO_CHURN,
  runScenario,
  scenarioFor,
  type ScenarioConfig,
  type ScenarioResult,
} from '../test/helpers/sim/scenario.js'

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    relay: { type: 'string', default: 'tree' },
    'no-churn': { type: 'boolean', default: false },
    'stream-ms': { type: 'string' },
    schedules: { type: 'string' },
    out: { type: 'string' },
  },
})
const relay = values.relay === 'flood' ? 'flood' : 'tree'
const seed = Number(values.seed)
const sizes = values.n.split(',').map(Number)

function config(n: number, s: number): ScenarioConfig {
  const c = scenarioFor(n, s, relay)
  if (values['no-churn']) c.churn = NO_CHURN
  if (values['stream-ms']) c.streamMs = Number(values['stream-ms'])
  return c
}

/** Whether a schedule meets issue 12's bar: converged, degree <= 8, <= 1.3 receptions, p99 hops <= 2 log2 n. */
const ok = (r: ScenarioResult): boolean =>
  r.converged && r.maxDegree <= 8 && r.meanReceptions <= 1.3 && r.hops.p99 <= 2 * Math.log2(r.config.n)

if (values.schedules === undefined) {
  const { config: used, ...result } = runScenario(config(sizes[0]!, seed))
  console.log(JSON.stringify({ config: used, ...result }, null, 2))
  process.exitCode = ok({ config: used, ...result }) ? 0 : 1
} else {
  const count = Number(values.schedules)
  const t0 = performance.now()
  const rows: string[][] = []
  let bad = 0
  for (const n of sizes) {
    const rs: ScenarioResult[] = []
    for (let i = 0; i < count; i++) {
      const r = runScenario(config(n, seed + i))
      // Replicas queue their flush as a microtask, which holds them until the event loop turns.
      await new Promise((resolve) => setImmediate(resolve))
      rs.push(r)
      if (!ok(r)) {
        bad++
        console.log(
          `FAILED n=${n} seed=${seed + i}: ${r.failures.join('; ')} (replay: node --import tsx scripts/sim-room.ts --n ${n} --seed ${seed + i})`,
        )
      }
    }
    const max = (f: (r: ScenarioResult) => number): number => Math.max(...rs.map(f))
    const mean = (f: (r: ScenarioResult) => number): number => rs.reduce((a, r) => a + f(r), 0) / rs.length
    const churn = rs.reduce((a, r) => a + Object.values(r.happened).reduce((x, y) => x + y, 0), 0)
    const row = [
      String(n),
      String(rs.length),
      String(rs.filter(ok).length),
      `${mean((r) => r.meanReceptions).toFixed(3)} / ${max((r) => r.meanReceptions).toFixed(3)}`,
      `${mean((r) => r.hops.p99).toFixed(1)} / ${max((r) => r.hops.p99)}`,
      `${mean((r) => r.spreadMs.p99).toFixed(0)} / ${max((r) => r.spreadMs.p99).toFixed(0)}`,
      String(max((r) => r.maxDegree)),
      String(churn),
    ]
    rows.push(row)
    console.log(row.join(' | '))
  }
  const minutes = (performance.now() - t0) / 60_000
  const md = [
    '# Large-room schedules (simulator)',
    '',
    `${new Date().toISOString()} · Node ${process.version} · ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length} · ` +
      `\`node --import tsx scripts/sim-room.ts --n ${values.n} --schedules ${count} --seed ${seed}${relay === 'flood' ? ' --relay flood' : ''}\` · ${minutes.toFixed(1)} min`,
    '',
    '| peers | schedules | met the bar | receptions per update mean / max | p99 hops mean / max | p99 time to reach every peer, ms mean / max | max links | churn events |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    'The bar (issue 12): every copy equal at the end, at most 8 links per peer, ≤ 1.3 receptions per update and peer, ' +
      'p99 hops ≤ 2·log2(n). Each schedule: the churn of `scenarioFor` in test/helpers/sim/scenario.ts (joins, leaves, crashes, ' +
      'frozen peers, offline periods, silent and reported link failures) during a 10 s stream of one or two writers.',
    '',
  ].join('\n')
  if (values.out) writeFileSync(values.out, md)
  console.log(`${bad} schedules failed the bar; ${minutes.toFixed(1)} min`)
  process.exitCode = bad === 0 ? 0 : 1
}
