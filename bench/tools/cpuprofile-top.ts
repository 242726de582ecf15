/** Prints the top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`). */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArg = '25'] = process.argv.slice(2)
if (!file) {
  console.error('usage: cpuprofile-top.ts <file.cpuprofile> [top]')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  const n = byId.get(id)
  if (!n) return
  const f = n.callFrame
  const where = f.url ? `${f.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(core|bench)\//, '$1/')}:${f.lineNumber + 1}` : ''
  const name = `${f.functionName || '(anonymous)'} ${where}`.trim()
  self.set(name, (self.get(name) ?? 0) + dt)
  total += dt
})
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`)
for (const [name, us] of rows) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`)
