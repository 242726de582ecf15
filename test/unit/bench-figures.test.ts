// README.md, docs/compaction.md and bench/README.md show benchmark figures only from the recorded
// results: their marked regions must be exactly what bench/figures.ts renders from bench/results.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FIGURES_COMMAND, fillAll, loadResults, REGIONS } from '../../bench/figures.js'

test('the figures in README.md and docs/ are the ones in bench/results', () => {
  const changed = fillAll(loadResults(), true)
  assert.deepEqual(
    changed,
    [],
    `figures differ from bench/results; run \`${FIGURES_COMMAND}\` (npm run bench does it too)`,
  )
})

test('every region renders from the results and states its numbers', () => {
  const results = loadResults()
  for (const region of REGIONS) {
    const text = region.render(results)
    assert.match(text, /\d/, `${region.file} ${region.name}`)
    assert.doesNotMatch(text, /NaN|undefined|Infinity/, `${region.file} ${region.name}: ${text}`)
  }
  // The room figures the issue found unbacked now come from the recorded run.
  const summary = REGIONS.find((r) => r.name === 'summary')!.render(results)
  assert.ok(summary.includes(`p99 of ${results.rooms.room.latencyMs.p99.toFixed(1)} ms`), summary)
})
