// The chaos harness in CI: a short set of seeded schedules (test/helpers/chaos.ts) — real peer
// processes with file stores over real WebRTC, real partitions in network namespaces (else
// setOnline, said so), SIGKILLs and restarts — after which every copy must be equal and hold every
// acknowledged write (docs/compaction.md). `npm run chaos -- --schedules 1000` is the long run.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createChaosNet } from '../helpers/chaos-net.js'
import { generateSchedule, runChaos } from '../helpers/chaos.js'

const SCHEDULES = 20
const { net, fallback } = createChaosNet(5)
if (fallback) console.log(`# no network namespaces (${fallback}): peers are cut off with setOnline on loopback, links are not cut`)
after(() => net.destroy())

test(`${SCHEDULES} chaos schedules: the copies converge and no acknowledged write is lost`, { timeout: 600_000 }, async () => {
  const totals = { edits: 0, acked: 0, compactions: 0, kills: 0, partitions: 0, deletions: 0 }
  for (let seed = 1; seed <= SCHEDULES; seed++) {
    const schedule = generateSchedule(seed, 3 + (seed % 3), 24)
    const r = await runChaos(schedule, net)
    for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k]
    assert.equal(r.failure, null, `seed ${seed}: ${r.failure}\nreplay: npm run chaos -- --replay '${JSON.stringify(schedule)}'`)
  }
  console.log(`# ${JSON.stringify(totals)}`)
  // The run says little unless it went through what it is for.
  for (const k of ['acked', 'compactions', 'kills', 'partitions', 'deletions'] as const) assert.ok(totals[k] > 0, `no ${k}`)
})
