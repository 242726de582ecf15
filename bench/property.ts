/**
 * `npm run property -- [--runs N] [--seed S] [--legacy] [--replay JSON]`: runs N random schedules of
 * the simulated network (test/helpers/sim-schedule.ts) — the same property CI runs 500 times — and
 * writes what they went through to bench/results/property.json and .md. A failing schedule is
 * shrunk (ops removed one by one while it still fails) and printed with a one-line command that
 * replays it; `--replay` plays one schedule and prints each peer's copy after every step.
 * `--legacy`: every schedule has a y-webrtc-like peer, a known limit (docs/compaction.md): the run
 * goes on past failures, counts them and writes bench/results/property-legacy.json and .md.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { onNet, snapshot } from '../test/helpers/sim-net.js'
import { legacyScheduleArb, playOp, runSchedule, scheduleArb, SIM_COMPACTION, Tally, type Schedule } from '../test/helpers/sim-schedule.js'

function shrink(s: Schedule): Schedule {
  let cur = s
  for (let changed = true; changed; ) {
    changed = false
    for (let i = 0; i < cur.ops.length; i++) {
      const next = { ...cur, ops: cur.ops.filter((_, j) => j !== i) }
      if (runSchedule(next).failure !== null) {
        cur = next
        changed = true
        i--
      }
    }
  }
  return cur
}

function replay(s: Schedule): void {
  onNet({ n: s.n, seed: s.seed, legacy: s.legacy ?? 0, compaction: SIM_COMPACTION }, (net) => {
    const show = (title: string): void => {
      console.log(title)
      for (let p = 0; p < net.n; p++)
        console.log(`  peer ${p}${net.offline[p] ? ' (offline)' : ''} epoch ${net.peers[p]!.epoch}: ${JSON.stringify(snapshot(net.peers[p]!))}`)
      net.legacy.forEach((l, i) => console.log(`  legacy ${i}: ${JSON.stringify(Object.fromEntries(Array.from(l.records(), (r) => [r, l.read(r)])))}`))
    }
    for (const op of s.ops) {
      playOp(net, op)
      show(JSON.stringify(op))
    }
    net.nextStep()
    net.healAll()
    net.settle()
    show('healed and settled')
    for (const e of net.events) console.log(`  event #${e.id} peer ${e.peer} ${e.rec}/${e.field ?? '*'} = ${e.value} knew [${[...e.knew].join(' ')}]`)
    try {
      net.assertConverged()
      net.assertNoLostWrite()
      console.log('holds')
    } catch (err) {
      console.log(`FAILS: ${(err as Error).message}`)
    }
  })
}

/** What kind of failure a run reported, for the --legacy tally. */
function failureKind(failure: string): string {
  if (failure.startsWith('lost write')) return 'lost writes'
  if (failure.includes('differs')) return 'copies that differ'
  if (/ is e\d+, which event/.test(failure)) return 'replaced or deleted values back'
  return 'other'
}

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      replay: { type: 'string' },
      legacy: { type: 'boolean', default: false },
    },
  })
  if (values.replay) {
    replay(JSON.parse(values.replay) as Schedule)
    return
  }
  const runs = Number(values.runs)
  const seed = Number(values.seed)
  const tally = new Tally()
  const started = performance.now()
  const legacy = values.legacy === true
  let first: Schedule | null = null
  const kinds = new Map<string, number>()
  const out = fc.check(
    fc.property(legacy ? legacyScheduleArb : scheduleArb, (s) => {
      const r = runSchedule(s)
      tally.add(r)
      if (r.failure !== null) {
        first ??= s
        const kind = failureKind(r.failure)
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
      }
      // with --legacy failures are counted, not the end of the run
      return legacy || r.failure === null
    }),
    { seed, numRuns: runs, endOnFailure: true },
  )
  const seconds = (performance.now() - started) / 1000
  const byKind = Array.from(kinds, ([k, n]) => `${n} ${k}`).join(', ')
  const summary = tally.summary() + (byKind ? ` (failures: ${byKind})` : '')
  console.log(`${summary} in ${seconds.toFixed(1)} s`)
  let failing: Schedule | null = null
  const found = out.failed && out.counterexample ? out.counterexample[0] : first
  if (found) {
    failing = shrink(found)
    console.log(`FAILED: ${runSchedule(failing).failure}`)
    console.log(`replay: npm run property -- --replay '${JSON.stringify(failing)}'`)
    if (!legacy) process.exitCode = 1
  }
  mkdirSync('bench/results', { recursive: true })
  const date = new Date().toISOString()
  const result = { date, seed, seconds, runs: tally.runs, failures: tally.failures, totals: tally.totals, runsWith: tally.runsWith, failing }
  const name = legacy ? 'property-legacy' : 'property'
  writeFileSync(`bench/results/${name}.json`, JSON.stringify({ ...result, legacy }, null, 2) + '\n')
  writeFileSync(
    `bench/results/${name}.md`,
    `# Property: no write is lost (simulated network${legacy ? ', with a y-webrtc-like peer: a known limit' : ''})\n\n\`npm run property -- --runs ${runs} --seed ${seed}${legacy ? ' --legacy' : ''}\`, ${date}, ${seconds.toFixed(1)} s on this machine.\n\n${summary}.\n` +
      (failing ? `\nFirst failure, shrunk: \`${JSON.stringify(failing)}\`\n` : ''),
  )
}

main()
