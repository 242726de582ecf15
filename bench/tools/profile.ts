/**
 * Runs one contender on one workload, for profiling, and prints the time per update:
 *   node --import tsx bench/tools/profile.ts diffstream auction [reps] [both|produce|catchup] [--out=file.cpuprofile]
 * With `--out`, only the timed part is profiled (the updates of every repetition, or the newcomer's
 * catch-up), not the setup and the untimed initial records; read the profile with
 * `node --import tsx bench/tools/cpuprofile-top.ts <file> --inclusive=core/`.
 * `--records=N` resizes the large cache (the scaling row of the core suite).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { parseArgs } from 'node:util'
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
  scaleRecords: [],
  scaleUpdates: 0,
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, records: { type: 'string' } },
})
const [contenderName = 'diffstream', workloadName = 'auction', repsArg = '5', phase = 'both'] = positionals
const make = CONTENDERS[contenderName]
if (!make || !(WORKLOAD_NAMES as readonly string[]).includes(workloadName)) {
  console.error(
    `usage: profile.ts <${Object.keys(CONTENDERS).join('|')}> <${WORKLOAD_NAMES.join('|')}> [reps] [both|produce|catchup] [--out=file]`,
  )
  process.exit(2)
}
if (values.records !== undefined) CONFIG.cacheRecords = Number(values.records)
const c = make()
const w = buildWorkload(workloadName as WorkloadName, CONFIG, 314159)
const reps = Number(repsArg)
const session = values.out ? new Session() : null
if (session) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
}
let timedMs = 0
let cpuMs = 0
let threadMs = 0
/** On-CPU ms of this thread (Linux), which other processes' load moves least. */
const threadCpuMs = (): number => {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6
  } catch {
    return NaN
  }
}
const profiles: unknown[] = []
let profiling = false
async function timed(f: () => void): Promise<void> {
  if (session && !profiling) {
    await session.post('Profiler.start')
    profiling = true
  }
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const th0 = threadCpuMs()
  f()
  threadMs += threadCpuMs() - th0
  timedMs += performance.now() - t0
  const c = process.cpuUsage(c0)
  cpuMs += (c.user + c.system) / 1000
}
for (let r = 0; r < reps; r++) {
  c.setup()
  if (c.load) c.load(w.initial)
  else for (const rec of w.initial) c.consume(c.produce(rec))
  if (phase === 'catchup') {
    for (const rec of w.updates) c.consume(c.produce(rec))
    await timed(() => c.restore(c.snapshot()))
    continue
  }
  await timed(() => {
    for (const rec of w.updates) {
      const bytes = c.produce(rec)
      if (phase === 'both') c.consume(bytes)
    }
  })
  if (session && profiling) {
    // the next repetition's setup is not profiled
    const { profile } = await session.post('Profiler.stop')
    profiles.push(profile)
    profiling = false
  }
}
if (session) {
  if (profiling) profiles.push((await session.post('Profiler.stop')).profile)
  writeFileSync(values.out!, JSON.stringify(mergeProfiles(profiles as Parameters<typeof mergeProfiles>[0])))
  session.disconnect()
}
// Process CPU time too: on a machine others load, it moves less than wall time.
const per = (ms: number): string =>
  phase === 'catchup'
    ? `${(ms / reps).toFixed(1)} ms per catch-up`
    : `${((ms * 1000) / (reps * w.updates.length)).toFixed(2)} µs per update`
console.log(
  `${c.name} on ${w.name} (${phase}): ${per(timedMs)} (process CPU ${per(cpuMs)}, thread CPU ${per(threadMs)})`,
)

/** The profiles of the timed parts as one (the first's nodes, every sample). */
function mergeProfiles(
  list: Array<{
    nodes: Array<{ id: number; children?: number[] }>
    samples: number[]
    timeDeltas: number[]
    startTime: number
    endTime: number
  }>,
): unknown {
  // Node ids differ between profiles: renumber each one's after the previous.
  const nodes: Array<{ id: number; children?: number[] }> = []
  const samples: number[] = []
  const timeDeltas: number[] = []
  let offset = 0
  for (const p of list) {
    let max = 0
    for (const n of p.nodes) {
      nodes.push({ ...n, id: n.id + offset, children: n.children?.map((ch) => ch + offset) })
      max = Math.max(max, n.id)
    }
    for (const s of p.samples) samples.push(s + offset)
    timeDeltas.push(...p.timeDeltas)
    offset += max
  }
  return { nodes, samples, timeDeltas, startTime: list[0]?.startTime ?? 0, endTime: list.at(-1)?.endTime ?? 0 }
}
