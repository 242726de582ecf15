/**
 * `npm run bench:soak [-- --minutes 10 --rate 1000 --every 10 --consumers 2]`: a room running the
 * demo's auction stream for a while, every peer in its own process (an embedded signaling server,
 * a producer and consumers over real WebRTC, as `npm run demo`). Prints each process's memory
 * (after a full GC) every few seconds, then the growth per minute and a verdict. Not part of
 * `npm run bench` or the tests; exits 1 when a process keeps growing.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { parseArgs } from 'node:util'
import { startSignalingServer } from '@diffstream/signaling'
import type { SoakSample } from './soak/peer.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    every: { type: 'string', default: '10' },
    consumers: { type: 'string', default: '2' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (values.help) {
  console.log('usage: npm run bench:soak -- [--minutes 10] [--rate 1000] [--every 10] [--consumers 2]')
  process.exit(0)
}
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const everyS = Number(values.every)
const consumerCount = Number(values.consumers)
if (![minutes, rate, everyS, consumerCount].every((v) => Number.isFinite(v) && v > 0))
  throw new Error('--minutes, --rate, --every and --consumers must be positive numbers')

/**
 * Growth over the measured part of the run (after the first fifth, while the JIT, the connections
 * and the first compactions settle) above which a process does not count as flat: MB per minute
 * of retained memory (JS heap + external, after GC), and of RSS, which also holds freed pages the
 * allocator has not returned.
 */
const FLAT_RETAINED_MB_PER_MIN = 0.5
const FLAT_RSS_MB_PER_MIN = 2
const MB = 1e6

const server = await startSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
const script = new URL('./soak/peer.ts', import.meta.url)
const names = ['producer', ...Array.from({ length: consumerCount }, (_, i) => `consumer-${i + 1}`)]
const children = new Map<string, ChildProcess>()
for (const name of names) {
  const role = name === 'producer' ? 'producer' : 'consumer'
  const child = fork(script, [server.url, role, name, String(rate)], {
    execArgv: ['--expose-gc', '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.set(name, child)
}

function ask(name: string): Promise<SoakSample> {
  const child = children.get(name)!
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not answer within 30 s`)), 30_000)
    child.once('message', (s: SoakSample) => {
      clearTimeout(timer)
      resolve(s)
    })
    child.send({ op: 'sample' })
  })
}

const history = new Map<string, Array<{ t: number; s: SoakSample }>>(names.map((n) => [n, []]))
const mb = (v: number): string => (v / MB).toFixed(1).padStart(6)
console.log(
  `soak: ${names.length} processes (producer + ${consumerCount} consumers) over WebRTC, ${rate} updates/s, ` +
    `${minutes} min, a sample every ${everyS} s (memory after a full GC; MB = 10^6 B)`,
)
console.log(
  'columns per process: JS heap / external / RSS MB, then updates written (producer) or change events seen (consumers)',
)
console.log(`${'time'.padStart(6)}  ${names.join(' | ')}`)

const t0 = performance.now()
const endAt = t0 + minutes * 60_000
let stopping = false
process.on('SIGINT', () => {
  stopping = true
})
while (!stopping && performance.now() < endAt) {
  await new Promise((r) => setTimeout(r, Math.min(everyS * 1000, Math.max(0, endAt - performance.now()))))
  const t = (performance.now() - t0) / 60_000
  const samples = await Promise.all(names.map(ask))
  const cells = samples.map((s) => {
    history.get(s.name)!.push({ t, s })
    return `${mb(s.heapUsed)} /${mb(s.external)} /${mb(s.rss)}, ${String(s.updates).padStart(8)}`
  })
  console.log(`${(t * 60).toFixed(0).padStart(5)}s  ${cells.join(' | ')}`)
}

/** Least-squares slope of y over t (per minute). */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  if (n < 2) return NaN
  const mt = points.reduce((a, [t]) => a + t, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  let num = 0
  let den = 0
  for (const [t, y] of points) {
    num += (t - mt) * (y - my)
    den += (t - mt) ** 2
  }
  return den > 0 ? num / den : NaN
}

console.log('\ngrowth per minute over the measured part (after the first fifth of the run):')
let growing = 0
for (const name of names) {
  const all = history.get(name)!
  const last = all.at(-1)
  if (!last) continue
  const measured = all.filter((p) => p.t >= last.t / 5)
  const retainedSlope = slope(measured.map((p) => [p.t, (p.s.heapUsed + p.s.external) / MB]))
  const rssSlope = slope(measured.map((p) => [p.t, p.s.rss / MB]))
  const flat = retainedSlope <= FLAT_RETAINED_MB_PER_MIN && rssSlope <= FLAT_RSS_MB_PER_MIN
  if (!flat) growing++
  const rateSeen = last.s.updates / Math.max(1e-9, last.t * 60)
  console.log(
    `  ${name.padEnd(12)} retained ${retainedSlope >= 0 ? '+' : ''}${retainedSlope.toFixed(2)} MB/min, ` +
      `RSS ${rssSlope >= 0 ? '+' : ''}${rssSlope.toFixed(2)} MB/min; now heap ${mb(last.s.heapUsed).trim()} MB, ` +
      `external ${mb(last.s.external).trim()} MB, RSS ${mb(last.s.rss).trim()} MB; ${last.s.updates} updates ` +
      `(${rateSeen.toFixed(0)}/s), epoch changes ${last.s.epochChanges}: ${Number.isNaN(retainedSlope) ? 'too few samples' : flat ? 'flat' : 'GROWING'}`,
  )
}
console.log(
  growing === 0
    ? `verdict: memory flat in every process (retained ≤ ${FLAT_RETAINED_MB_PER_MIN} MB/min, RSS ≤ ${FLAT_RSS_MB_PER_MIN} MB/min)`
    : `verdict: ${growing} process(es) growing (limits: retained ${FLAT_RETAINED_MB_PER_MIN} MB/min, RSS ${FLAT_RSS_MB_PER_MIN} MB/min)`,
)

for (const child of children.values()) child.send({ op: 'exit' })
await Promise.all(
  Array.from(
    children.values(),
    (c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', () => resolve()))),
  ),
)
await server.close()
process.exit(growing === 0 ? 0 : 1)
