/**
 * `npm run bench:soak [-- --minutes 60 --rate 1000 --every 30 --consumers 2 --offline-every 5 --offline-for 1]`:
 * a room running the demo's auction stream for a while, every peer in its own process (an embedded
 * signaling server, a producer, consumers and an editor over real WebRTC). Every `--offline-every`
 * minutes the first consumer goes offline for `--offline-for` minutes, and half a period later the
 * editor does, writing its notes offline. Prints each process's memory (after a full GC) every few
 * seconds, then the growth per minute; at the end every peer comes back and must hold the same
 * records, the editor's notes as it last wrote them (nothing lost). Not part of `npm run bench` or
 * the tests; exits 1 when a process keeps growing or anything was lost.
 */
import { canonical } from './soak/canonical.js'
import { fork, type ChildProcess } from 'node:child_process'
import { parseArgs } from 'node:util'
import { startSignalingServer } from '@diffstream/signaling'
import type { SoakFinal, SoakSample } from './soak/peer.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    every: { type: 'string', default: '10' },
    consumers: { type: 'string', default: '2' },
    'offline-every': { type: 'string', default: '5' },
    'offline-for': { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (values.help) {
  console.log(
    'usage: npm run bench:soak -- [--minutes 10] [--rate 1000] [--every 10] [--consumers 2] [--offline-every 5] [--offline-for 1]',
  )
  process.exit(0)
}
const minutes = Number(values.minutes)
const rate = Number(values.rate)
const everyS = Number(values.every)
const consumerCount = Number(values.consumers)
const offlineEvery = Number(values['offline-every'])
const offlineFor = Number(values['offline-for'])
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
const names = ['producer', ...Array.from({ length: consumerCount }, (_, i) => `consumer-${i + 1}`), 'editor']
const children = new Map<string, ChildProcess>()
for (const name of names) {
  const role = name === 'producer' || name === 'editor' ? name : 'consumer'
  const child = fork(script, [server.url, role, name, String(rate)], {
    execArgv: ['--expose-gc', '--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.set(name, child)
}

function ask<T = SoakSample>(name: string, op: 'sample' | 'final' = 'sample'): Promise<T> {
  const child = children.get(name)!
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not answer within 30 s`)), 30_000)
    child.once('message', (s: T) => {
      clearTimeout(timer)
      resolve(s)
    })
    child.send({ op })
  })
}

/** Who is offline at minute `t`: the first consumer, then half a period later the editor. */
function offlineAt(name: string, t: number): boolean {
  const phase = name === 'consumer-1' ? 0 : name === 'editor' ? offlineEvery / 2 : null
  if (phase === null || t < phase) return false
  return (t - phase) % offlineEvery < offlineFor
}
const offlineNow = new Map<string, boolean>()
let offlinePeriods = 0
const offlineTimer = setInterval(() => {
  const t = (performance.now() - t0) / 60_000
  for (const name of names) {
    const off = offlineAt(name, t) && performance.now() < endAt
    if (off === (offlineNow.get(name) ?? false)) continue
    offlineNow.set(name, off)
    if (off) offlinePeriods++
    children.get(name)!.send({ op: 'online', online: !off })
  }
}, 1000)

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
  const samples = await Promise.all(names.map((n) => ask(n)))
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

clearInterval(offlineTimer)
for (const name of names) children.get(name)!.send({ op: 'online', online: true })
children.get('editor')!.send({ op: 'stop' })

// Everyone back: the copies must meet, and every note the editor wrote (online or offline) be there.
const settleBy = performance.now() + 180_000
let finals: SoakFinal[] = []
let lost: string[] = []
for (;;) {
  await new Promise((r) => setTimeout(r, 5000))
  finals = await Promise.all(names.map((n) => ask<SoakFinal>(n, 'final')))
  const written = finals.find((f) => f.name === 'editor')!.written
  lost = []
  for (const f of finals)
    for (const [key, note] of Object.entries(written))
      if (canonical(f.held[key]) !== canonical(note)) lost.push(`${f.name} holds ${key} as ${JSON.stringify(f.held[key])}`)
  const same = finals.every((f) => f.digest === finals[0]!.digest)
  if ((same && lost.length === 0) || performance.now() > settleBy) break
}
const converged = finals.every((f) => f.digest === finals[0]!.digest)
console.log(
  `\nafter ${offlinePeriods} offline periods, everyone back: ${converged ? `every copy the same (${finals[0]!.records} records)` : `copies DIFFER: ${finals.map((f) => `${f.name} ${f.digest}`).join(', ')}`}; ` +
    `${lost.length === 0 ? "every note the editor wrote is in every copy: nothing lost" : `LOST: ${lost.slice(0, 10).join('; ')}`}`,
)

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
process.exit(growing === 0 && converged && lost.length === 0 ? 0 : 1)
