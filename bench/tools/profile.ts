/**
 * Runs one contender on one workload in a loop, for profiling:
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof --import tsx bench/tools/profile.ts diffstream auction
 * then `node --import tsx bench/tools/cpuprofile-top.ts bench/results/prof/<file>.cpuprofile`.
 */
import type { Contender } from '../contender.js'
import { DiffStream } from '../contenders/diffstream.js'
import { FullJson } from '../contenders/full-json.js'
import { JsonPatch } from '../contenders/json-patch.js'
import { RawYjs } from '../contenders/raw-yjs.js'
import { auctionStream } from '../workloads/auction.js'
import { readmeEdits } from '../workloads/readme.js'
import type { Workload } from '../workloads/workload.js'

const CONTENDERS: Record<string, () => Contender> = {
  'full-json': () => new FullJson(),
  'json-patch': () => new JsonPatch(false),
  'json-patch-in-place': () => new JsonPatch(true),
  'raw-yjs': () => new RawYjs(),
  diffstream: () => new DiffStream(),
}
const WORKLOADS: Record<string, () => Workload> = {
  auction: () => auctionStream(100, 20_000, 314160),
  'readme-edits': () => readmeEdits(5_000, 314159),
}

const [contenderName = 'diffstream', workloadName = 'auction', repsArg = '5', phase = 'both'] = process.argv.slice(2)
const make = CONTENDERS[contenderName]
const load = WORKLOADS[workloadName]
if (!make || !load) {
  console.error(
    `usage: profile.ts <${Object.keys(CONTENDERS).join('|')}> <${Object.keys(WORKLOADS).join('|')}> [reps] [both|produce]`,
  )
  process.exit(2)
}
const c = make()
const w = load()
const reps = Number(repsArg)
const t0 = performance.now()
for (let r = 0; r < reps; r++) {
  c.setup()
  for (const rec of w.initial) c.consume(c.produce(rec))
  for (const rec of w.updates) {
    const bytes = c.produce(rec)
    if (phase === 'both') c.consume(bytes)
  }
}
const us = ((performance.now() - t0) * 1000) / (reps * w.updates.length)
console.log(`${c.name} on ${w.name} (${phase}): ${us.toFixed(2)} µs per update incl. setup`)
