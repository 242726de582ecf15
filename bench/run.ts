/**
 * `npm run bench [-- --quick] [--seed=N] [--suite=core] [--inline]`: runs the registered suites, prints
 * each one's Markdown report and goal checks, writes `bench/results/<suite>.json` and `.md` and its
 * charts (`results/charts/*.svg`), then rebuilds `results/latest.md` and `latest.json` from every
 * suite's latest results, and fills the figures of README.md and docs/ from them (bench/figures.ts).
 * `--quick` writes `*-quick.*` files instead, so a smoke run never overwrites the figures of a full one.
 */
import { parseArgs } from 'node:util'
import { coreSuite } from './core-suite.js'
import { roomsSuite } from './rooms-suite.js'
import { fanoutSuite } from './fanout-suite.js'
import { fillAll, loadResults } from './figures.js'
import { integritySuite } from './integrity-suite.js'
import { largeRoomSuite } from './large-room-suite.js'
import { writeCharts, writeLatest } from './latest.js'
import { memorySuite } from './memory-suite.js'
import { signalingSuite } from './signaling-suite.js'
import { storeSuite } from './store-suite.js'
import { checkLine, writeResults } from './report.js'
import type { Suite, SuiteResult } from './suite.js'

/** Every suite, in the order they run. Add new suites here. */
const SUITES: readonly Suite[] = [
  coreSuite,
  memorySuite,
  roomsSuite,
  fanoutSuite,
  largeRoomSuite,
  storeSuite,
  signalingSuite,
  integritySuite,
]

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      inline: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      seed: { type: 'string', default: '314159' },
      suite: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  })
  if (values.help) {
    console.log('usage: npm run bench -- [--quick] [--seed=N] [--suite=NAME ...] [--inline] [--report-only]')
    console.log('  --report-only: rebuild results/latest.md and latest.json from the stored results, run nothing')
    for (const s of SUITES) console.log(`  ${s.name}: ${s.description}`)
    return
  }
  if (values['report-only']) {
    console.error(`wrote ${writeLatest(SUITES, values.quick).join(', ')}`)
    if (!values.quick) fillFigures()
    return
  }
  const seed = Number(values.seed)
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, not ${values.seed}`)
  const wanted = values.suite ?? SUITES.map((s) => s.name)
  const unknown = wanted.filter((n) => !SUITES.some((s) => s.name === n))
  if (unknown.length > 0)
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`)
  if (typeof globalThis.gc !== 'function') console.error('note: run with --expose-gc for a GC between repetitions')

  const started = performance.now()
  const suffix = values.quick ? '-quick' : ''
  const failed: string[] = []
  for (const suite of SUITES.filter((s) => wanted.includes(s.name))) {
    const t0 = performance.now()
    console.error(`suite ${suite.name}${values.quick ? ' (quick)' : ''}: ${suite.description}`)
    let result: SuiteResult
    try {
      result = await suite.run({ quick: values.quick, seed, inline: values.inline })
    } catch (err) {
      // One suite's failure (a peer process dying in native WebRTC code, say) keeps the others' figures.
      console.error(`suite ${suite.name} FAILED; its previous results are kept:`, err)
      failed.push(suite.name)
      continue
    }
    console.log(result.markdown)
    for (const c of result.checks) console.log(checkLine(c))
    const charts = result.charts ?? []
    const data = {
      ...result.data,
      durationS: Math.round((performance.now() - t0) / 100) / 10,
      summaryMarkdown: result.summary ?? null,
      charts: charts.map((c) => `charts/${c.name}${suffix}.svg`),
    }
    const files = [...writeResults(`${suite.name}${suffix}`, result.markdown, data), ...writeCharts(charts, suffix)]
    console.error(
      `suite ${suite.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${files.join(', ')}`,
    )
  }
  const seconds = (performance.now() - started) / 1000
  const latest = writeLatest(SUITES, values.quick)
  console.error(`all suites done in ${seconds.toFixed(1)} s; wrote ${latest.join(', ')}`)
  // A smoke run's figures are not comparable: README and docs keep the full run's.
  if (!values.quick) fillFigures()
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`)
    process.exitCode = 1
  }
}

/** The figures README.md and docs/ show, from the results just written (bench/figures.ts). */
function fillFigures(): void {
  const changed = fillAll(loadResults(), false)
  console.error(changed.length > 0 ? `filled the figures of ${changed.join(', ')}` : 'README and docs figures unchanged')
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
