/**
 * What a V8 .cpuprofile (from `node --cpu-prof`) was doing over time, for profiles of the rooms
 * suite's peer processes (`ROOMS_CHILD_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"`):
 *   node --import tsx bench/rooms/probes/timeline.ts <file.cpuprofile> [--window=250] [--match=core/dist]
 *        [--from=2 --to=7] [--top=25]
 * Per window (ms): the frames that took most samples, each sample named after its innermost frame
 * whose URL matches `--match` (else 'other'; V8's '(idle)', '(garbage collector)' as they are).
 * With --from/--to (seconds from the profile start): top self and inclusive frames in that range.
 * The profiler samples wall time, so a thread blocked in native code (a WebRTC call) or in
 * Atomics.wait shows under the JavaScript frame that called it.
 */
import { parseArgs } from 'node:util'
import { readProfile, type ProfileNode } from '../../tools/cpuprofile.js'


const { values, positionals } = parseArgs({
  options: {
    window: { type: 'string', default: '250' },
    match: { type: 'string', default: 'core/dist' },
    from: { type: 'string' },
    to: { type: 'string' },
    top: { type: 'string', default: '25' },
  },
  allowPositionals: true,
})
const file = positionals[0]
if (!file) throw new Error('usage: timeline.ts <file.cpuprofile> [--window=ms] [--match=regex] [--from=s --to=s]')
const windowUs = Number(values.window) * 1000
const match = new RegExp(values.match)
const top = Number(values.top)

const profile = readProfile(file)
const parent = new Map<number, number>()
const byId = new Map<number, ProfileNode>()
for (const n of profile.nodes) {
  byId.set(n.id, n)
  for (const c of n.children ?? []) parent.set(c, n.id)
}

const name = (n: ProfileNode): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\/(core|node_modules)\//, '')}:${n.callFrame.lineNumber}`

/** The innermost frame of a sample whose URL matches, or the V8 pseudo-frame it is. */
function label(id: number): string {
  const leaf = byId.get(id)!
  if (leaf.callFrame.functionName.startsWith('(')) return leaf.callFrame.functionName
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!
    if (match.test(n.callFrame.url)) return name(n)
  }
  return 'other'
}

const add = (m: Map<string, number>, key: string, us: number): void => void m.set(key, (m.get(key) ?? 0) + us)
const topOf = (m: Map<string, number>, k: number): Array<[string, number]> =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, k)

// The sample at index i lasted until the next one.
const samples = profile.samples.map((id, i) => ({ id, dt: profile.timeDeltas[i + 1] ?? 0 }))
const starts: number[] = []
let clock = 0
for (let i = 0; i < samples.length; i++) {
  clock += profile.timeDeltas[i]!
  starts.push(clock)
}

const buckets = new Map<number, Map<string, number>>()
samples.forEach((s, i) => {
  const b = Math.floor(starts[i]! / windowUs)
  const m = buckets.get(b) ?? new Map<string, number>()
  buckets.set(b, m)
  add(m, label(s.id), s.dt)
})
for (const [b, m] of [...buckets].sort((x, y) => x[0] - y[0])) {
  const parts = topOf(m, 4).map(([l, us]) => `${l} ${(us / 1000).toFixed(0)}`)
  console.log(`${((b * windowUs) / 1e6).toFixed(2).padStart(7)} s  ${parts.join(' | ')}`)
}

if (values.from !== undefined && values.to !== undefined) {
  const from = Number(values.from) * 1e6
  const to = Number(values.to) * 1e6
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  samples.forEach((s, i) => {
    if (starts[i]! < from || starts[i]! > to) return
    total += s.dt
    add(self, name(byId.get(s.id)!), s.dt)
    const seen = new Set<string>()
    for (let cur: number | undefined = s.id; cur !== undefined; cur = parent.get(cur)) {
      const n = name(byId.get(cur)!)
      if (!seen.has(n)) add(inclusive, n, s.dt)
      seen.add(n)
    }
  })
  console.log(`\nself time, ${values.from}–${values.to} s (${(total / 1000).toFixed(0)} ms sampled)`)
  for (const [n, us] of topOf(self, top)) console.log(`${(us / 1000).toFixed(1).padStart(9)} ms  ${n}`)
  console.log('\ninclusive time')
  for (const [n, us] of topOf(inclusive, top + 15)) console.log(`${(us / 1000).toFixed(1).padStart(9)} ms  ${n}`)
}
