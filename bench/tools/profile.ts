/**
 * Runs one contender on one workload in a loop, for profiling:
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof --import tsx bench/tools/profile.ts diffstream auction
 * then `node --import tsx bench/tools/cpuprofile-top.ts bench/results/prof/<file>.cpuprofile`.
 */
import { CONTENDERS } from '../contenders/index.js'
import { buildWorkload, WORKLOAD_NAMES, type CoreConfig, type WorkloadName } from '../core-measure.js'

/** The core suite's full sizes, with a longer auction stream for a denser profile. */
const CONFIG: CoreConfig = {
  auctions: 100,
  ticks: 20_000,
  edits: 5_000,
  cacheRecords: 10_000,
  cacheTicks: 10,
  cacheShare: 0.01,
  bigItems: 1_000,
  bigUpdates: 5,
  reps: 1,
  heavyReps: 0,
}

const [contenderName = 'diffstream', workloadName = 'auction', repsArg = '5', phase = 'both'] = process.argv.slice(2)
const make = CONTENDERS[contenderName]
if (!make || !(WORKLOAD_NAMES as readonly string[]).includes(workloadName)) {
  console.error(
    `usage: profile.ts <${Object.keys(CONTENDERS).join('|')}> <${WORKLOAD_NAMES.join('|')}> [reps] [both|produce]`,
  )
  process.exit(2)
}
const c = make()
const w = buildWorkload(workloadName as WorkloadName, CONFIG, 314159)
const reps = Number(repsArg)
const t0 = performance.now()
for (let r = 0; r < reps; r++) {
  c.setup()
  if (c.load) c.load(w.initial)
  else for (const rec of w.initial) c.consume(c.produce(rec))
  for (const rec of w.updates) {
    const bytes = c.produce(rec)
    if (phase === 'both') c.consume(bytes)
  }
}
const us = ((performance.now() - t0) * 1000) / (reps * w.updates.length)
console.log(`${c.name} on ${w.name} (${phase}): ${us.toFixed(2)} µs per update incl. setup`)
