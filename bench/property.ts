/**
 * `npm run property -- [--runs N] [--seed S] [--replay JSON]`: runs N random schedules of the
 * simulated network (test/helpers/sim-schedule.ts) — the same property CI runs 500 times — and
 * writes what they went through to bench/results/property.json and .md. A failing schedule is
 * shrunk (ops removed one by one while it still fails) and printed with a one-line command that
 * replays it; `--replay` plays one schedule and prints each peer's copy after every step.
 */
import { writeFileSync, mkdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { onNet, snapshot } from '../test/helpers/sim-net.js'
import { RECORDS, runSchedule, scheduleArb, SIM_COMPACTION, Tally, type Schedule } from '../test/helpers/sim-schedule.js'

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
    const n = net.n
    for (const op of s.ops) {
      net.nextStep()
      if (op.t === 'write') net.write(op.peer % n, RECORDS[op.rec]!, op.field)
      else if (op.t === 'remove') net.removeField(op.peer % n, RECORDS[op.rec]!, op.field)
      else if (op.t === 'delete') net.deleteRecord(op.peer % n, RECORDS[op.rec]!)
      else if (op.t === 'deliver') for (const pick of op.picks) net.deliverOne(pick)
      else if (op.t === 'link') net.toggleLink(...net.pairs[op.pair % net.pairs.length]!)
      else if (op.t === 'offline') net.setOffline(op.peer % n, !net.offline[op.peer % n])
      else if (op.t === 'compact')
        net.compact(...new Set([op.peer % n, ...(op.also === null ? [] : [op.also % n])]))
      else if (op.t === 'legacy') {
        if (net.legacy.length > 0)
          net.legacyEdit(op.peer % net.legacy.length, RECORDS[op.rec]!, op.kind === 'delete' ? null : op.field, op.kind === 'set')
      } else net.tick(600)
      show(JSON.stringify(op))
    }
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

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      replay: { type: 'string' },
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
  const out = fc.check(
    fc.property(scheduleArb, (s) => {
      const r = runSchedule(s)
      tally.add(r)
      return r.failure === null
    }),
    { seed, numRuns: runs, endOnFailure: true },
  )
  const seconds = (performance.now() - started) / 1000
  const summary = tally.summary()
  console.log(`${summary} in ${seconds.toFixed(1)} s`)
  let failing: Schedule | null = null
  if (out.failed && out.counterexample) {
    failing = shrink(out.counterexample[0])
    console.log(`FAILED: ${runSchedule(failing).failure}`)
    console.log(`replay: npm run property -- --replay '${JSON.stringify(failing)}'`)
    process.exitCode = 1
  }
  mkdirSync('bench/results', { recursive: true })
  const date = new Date().toISOString()
  const result = { date, seed, seconds, runs: tally.runs, failures: tally.failures, totals: tally.totals, runsWith: tally.runsWith, failing }
  writeFileSync('bench/results/property.json', JSON.stringify(result, null, 2) + '\n')
  writeFileSync(
    'bench/results/property.md',
    `# Property: no write is lost (simulated network)\n\n\`npm run property -- --runs ${runs} --seed ${seed}\`, ${date}, ${seconds.toFixed(1)} s on this machine.\n\n${summary}.\n` +
      (failing ? `\nFirst failure, shrunk: \`${JSON.stringify(failing)}\`\n` : ''),
  )
}

main()
