/**
 * `npm run bench [-- --quick] [--seed=N] [--suite=core] [--inline]`: runs the registered suites, prints
 * each one's Markdown report and goal checks, and writes `bench/results/<suite>.json` and `.md`.
 */
import { parseArgs } from 'node:util'
import { coreSuite } from './core-suite.js'
import { roomsSuite } from './rooms-suite.js'
import { checkLine, writeResults } from './report.js'
import type { Suite } from './suite.js'

/** Every suite, in the order they run. Add new suites (WebRTC latency, ...) here. */
const SUITES: readonly Suite[] = [coreSuite, roomsSuite]

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      inline: { type: 'boolean', default: false },
      seed: { type: 'string', default: '314159' },
      suite: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  })
  if (values.help) {
    console.log('usage: npm run bench -- [--quick] [--seed=N] [--suite=NAME ...] [--inline]')
    for (const s of SUITES) console.log(`  ${s.name}: ${s.description}`)
    return
  }
  const seed = Number(values.seed)
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, not ${values.seed}`)
  const wanted = values.suite ?? SUITES.map((s) => s.name)
  const unknown = wanted.filter((n) => !SUITES.some((s) => s.name === n))
  if (unknown.length > 0)
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`)
  if (typeof globalThis.gc !== 'function') console.error('note: run with --expose-gc for a GC between repetitions')

  for (const suite of SUITES.filter((s) => wanted.includes(s.name))) {
    const t0 = performance.now()
    console.error(`suite ${suite.name}${values.quick ? ' (quick)' : ''}: ${suite.description}`)
    const result = await suite.run({ quick: values.quick, seed, inline: values.inline })
    console.log(result.markdown)
    for (const c of result.checks) console.log(checkLine(c))
    // A smoke run must not overwrite the figures of a full one.
    const files = writeResults(values.quick ? `${suite.name}-quick` : suite.name, result.markdown, result.data)
    console.error(
      `suite ${suite.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s; wrote ${files.join(', ')}`,
    )
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
