/**
 * Top functions of a V8 .cpuprofile (from `node --cpu-prof`), by self time, and by inclusive
 * (self + callees) time for the functions whose location contains `--inclusive=<text>`:
 *   node --import tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [--top=25] [--inclusive=core/]
 */
import { parseArgs } from 'node:util'
import { readProfile, type ProfileNode } from './cpuprofile.js'


const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, inclusive: { type: 'string' } },
})
const file = positionals[0]
const top = Number(values.top)
if (!file || positionals.length !== 1 || !Number.isInteger(top)) {
  console.error('usage: cpuprofile-top.ts <file.cpuprofile> [--top=N] [--inclusive=text]')
  process.exit(2)
}
const profile = readProfile(file)
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

function label(n: ProfileNode): string {
  const f = n.callFrame
  const where = f.url
    ? `${f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(core|bench)\//, '$1/')}:${f.lineNumber + 1}`
    : ''
  return `${f.functionName || '(anonymous)'} ${where}`.trim()
}

const self = new Map<string, number>()
const inclusive = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  const n = byId.get(id)
  if (!n) return
  total += dt
  const name = label(n)
  self.set(name, (self.get(name) ?? 0) + dt)
  if (values.inclusive === undefined) return
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const node = byId.get(at)
    if (!node) break
    const l = label(node)
    if (!seen.has(l) && l.includes(values.inclusive)) {
      seen.add(l)
      inclusive.set(l, (inclusive.get(l) ?? 0) + dt)
    }
  }
})

function print(title: string, m: Map<string, number>): void {
  console.log(`${title} (of ${(total / 1000).toFixed(0)} ms sampled)`)
  for (const [name, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`)
}
print('self time', self)
if (values.inclusive !== undefined) print(`\ninclusive time, functions matching "${values.inclusive}"`, inclusive)
