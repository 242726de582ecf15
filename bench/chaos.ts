/**
 * `npm run chaos -- [--schedules N] [--seed S] [--peers 3|4|5] [--length L] [--minutes M] [--replay JSON]`: runs
 * N seeded chaos schedules (test/helpers/chaos.ts) with real peer processes, file stores, WebRTC
 * and real partitions in network namespaces (as root; else setOnline on loopback, said so), and
 * writes what they went through to bench/results/chaos.json and .md. A failing schedule prints a
 * one-line command that replays it. Must run as root for namespaces.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createChaosNet } from '../test/helpers/chaos-net.js'
import { generateSchedule, runChaos, type ChaosResult, type ChaosSchedule } from '../test/helpers/chaos.js'

const { values } = parseArgs({
  options: {
    schedules: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    peers: { type: 'string' },
    length: { type: 'string', default: '40' },
    replay: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    minutes: { type: 'string' },
  },
})

const schedules: ChaosSchedule[] = values.replay
  ? [JSON.parse(values.replay) as ChaosSchedule]
  : Array.from({ length: Number(values.schedules) }, (_, i) => {
      const seed = Number(values.seed) + i
      const peers = values.peers ? Number(values.peers) : 3 + (seed % 3)
      return generateSchedule(seed, peers, Number(values.length))
    })
const { net, fallback } = createChaosNet(5)
if (fallback) console.log(`note: no network namespaces (${fallback}); peers are cut off with setOnline on loopback, links are not cut`)
const totals = { schedules: 0, failed: 0, edits: 0, acked: 0, compactions: 0, kills: 0, partitions: 0, deletions: 0, seconds: 0 }
const failures: string[] = []
// A time budget for long runs: no schedule starts after it, and the report says how many ran.
const stopAt = values.minutes ? performance.now() + Number(values.minutes) * 60_000 : Infinity
try {
  for (const s of schedules) {
    if (performance.now() >= stopAt) break
    const r: ChaosResult = await runChaos(s, net, values.replay && !values.quiet ? (l) => console.log(`  ${l}`) : undefined)
    totals.schedules++
    for (const k of ['edits', 'acked', 'compactions', 'kills', 'partitions', 'deletions', 'seconds'] as const) totals[k] += r[k]
    const head = `schedule seed ${s.seed} (${s.peers} peers, ${s.ops.length} ops): ${r.edits} edits (${r.acked} acknowledged), ${r.compactions} compactions, ${r.partitions} partitions, ${r.kills} kills, ${r.seconds.toFixed(1)} s`
    if (r.failure) {
      totals.failed++
      failures.push(`${head}\n  FAILED: ${r.failure}\n  replay: npm run chaos -- --replay '${JSON.stringify(s)}'`)
      console.log(failures[failures.length - 1])
    } else if (!values.quiet) console.log(`${head}: ok`)
  }
} finally {
  net.destroy()
}
const budget = totals.schedules < schedules.length ? ` (the ${values.minutes}-minute budget ran out after ${totals.schedules} of ${schedules.length})` : ''
const summary = `${totals.schedules} schedules${budget}, ${totals.failed} failed; ${totals.edits} edits (${totals.acked} acknowledged), ${totals.compactions} compactions, ${totals.deletions} record deletions, ${totals.partitions} partitions, ${totals.kills} SIGKILLs; ${totals.seconds.toFixed(0)} s`
console.log(summary)
if (!values.replay) {
  mkdirSync('bench/results', { recursive: true })
  const date = new Date().toISOString()
  writeFileSync('bench/results/chaos.json', JSON.stringify({ date, seed: Number(values.seed), network: fallback ? 'loopback + setOnline' : 'network namespaces + iptables', ...totals, failures }, null, 2) + '\n')
  writeFileSync(
    'bench/results/chaos.md',
    `# Chaos: real processes, stores, WebRTC and partitions\n\n\`npm run chaos -- --schedules ${values.schedules} --seed ${values.seed} --length ${values.length}${values.minutes ? ` --minutes ${values.minutes}` : ''}\`, ${date}, ` +
      `${fallback ? `loopback with setOnline (${fallback})` : 'network namespaces with iptables partitions'}.\n\n${summary}.\n` +
      (failures.length ? `\n## Failures\n\n${failures.map((f) => '```\n' + f + '\n```').join('\n')}\n` : ''),
  )
}
process.exitCode = totals.failed > 0 ? 1 : 0
