/**
 * The figures that README.md, docs/compaction.md and bench/README.md show, filled from the recorded
 * results (`bench/results/<suite>.json` of the last full run), so that every figure shown is one
 * measured. Each file marks the regions it owns:
 *
 *   <!-- bench:NAME -->  …generated…  <!-- /bench -->
 *
 * `npm run bench` refreshes them at its end (full runs only); by hand:
 *   node --import tsx bench/figures.ts           rewrite the regions (npm run bench:figures)
 *   node --import tsx bench/figures.ts --check   exit 1 if a region differs from the results
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, markdownTable, RESULTS_DIR } from './report.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const FIGURES_COMMAND = 'npm run bench:figures'

// --- the recorded results, as far as the figures need them --------------------------------------

interface Summary {
  p50: number
  p99: number
  max: number
}
interface CoreResult {
  contender: string
  bytes: { mean: number }
  usPerUpdate: { produce: number; consume: number }
}
interface CoreData {
  machine: { date: string }
  workloads: Array<{ name: string; results: CoreResult[] }>
}
interface MemoryPoint {
  updates: number
  heapUsed: number
  external: number
  stateBytes: number
}
interface MemoryData {
  machine: { date: string }
  config: { updates: number }
  streams: Array<{ id: string; name: string; end: string; points: MemoryPoint[] }>
}
interface Stream {
  targetRate: number
  achievedRate: number
  count: number
  lost: number
  latencyMs: Summary
  blockP99Ms: number[]
  gc: { slowerThanGoal: number; slowDuringGc: number }
}
interface RoomsData {
  machine: { date: string }
  config: { quick: boolean; rampMs: number; updates: number; blocks: number }
  raw: Stream
  room: Stream
  ramp: Stream[]
}
interface FanoutRun {
  kind: 'room' | 'raw'
  targetRate: number
  sustained: boolean
  latencyMs: Summary
}
interface FanoutCase {
  consumers: number
  fixed: FanoutRun[]
  ramp: FanoutRun[]
  highest: { room: number | null; raw: number | null }
}
interface FanoutData {
  machine: { date: string }
  config: { ladder: number[]; rampMs: number; fixedMs: number; fixedRates: number[]; sustainedP99Ms: number }
  cases: FanoutCase[]
}

export interface Results {
  core: CoreData
  memory: MemoryData
  rooms: RoomsData
  fanout: FanoutData
  /** Each suite's headline as latest.md shows it. */
  summaries: Record<string, { date: string; markdown: string }>
}

const SUITES = ['core', 'memory', 'rooms', 'fanout'] as const

export function loadResults(dir = RESULTS_DIR): Results {
  const read = (name: string): Record<string, unknown> =>
    JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>
  const data = Object.fromEntries(SUITES.map((s) => [s, read(s)])) as Record<
    (typeof SUITES)[number],
    Record<string, unknown>
  >
  const summaries: Results['summaries'] = {}
  for (const s of SUITES) {
    const machine = data[s]['machine'] as { date: string }
    summaries[s] = { date: machine.date, markdown: String(data[s]['summaryMarkdown'] ?? '') }
  }
  return {
    core: data.core as unknown as CoreData,
    memory: data.memory as unknown as MemoryData,
    rooms: data.rooms as unknown as RoomsData,
    fanout: data.fanout as unknown as FanoutData,
    summaries,
  }
}

// --- formatting -------------------------------------------------------------------------------------

const MB = 1e6
const day = (iso: string): string => iso.slice(0, 10)
const ms = (v: number): string => `${v < 1 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ms`
const count = (n: number): string => n.toLocaleString('en-US').replace(/,/g, ' ')
const rate = (n: number): string => `${count(n)}/s`
const ratio = (a: number, b: number): string => `${a / b < 1 ? (a / b).toFixed(2) : (a / b).toFixed(1)}×`
function bytes(v: number): string {
  if (v >= MB) return `${fmt(v / MB, 1)} MB`
  if (v >= 1e4) return `${fmt(v / 1e3, 1)} KB`
  return `${Math.round(v)} B`
}
function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

// --- the regions --------------------------------------------------------------------------------------

const CONTENDERS = [
  ['DiffStream', 'DiffStream'],
  ['JSON Patch (original)', "JSON Patch + md5 (the original's method)"],
  ['jsondiffpatch', 'jsondiffpatch'],
  ['raw Yjs', 'raw Yjs'],
  ['Automerge', 'Automerge'],
  ['Loro', 'Loro'],
] as const
const MEMORY_IDS: Record<string, string> = { DiffStream: 'diffstream', Automerge: 'automerge', Loro: 'loro' }

/** README "Where it stands": the auction stream against every contender, then the WebRTC figures. */
function readmeSummary(r: Results): string {
  const auction = r.core.workloads.find((w) => w.name === 'auction')
  if (!auction) throw new Error('core.json has no auction workload')
  const of = (name: string): CoreResult => {
    const found = auction.results.find((c) => c.contender === name)
    if (!found) throw new Error(`core.json: no contender ${name} in the auction workload`)
    return found
  }
  const cpu = (name: string): number => of(name).usPerUpdate.produce + of(name).usPerUpdate.consume
  const stream = (id: string): MemoryData['streams'][number] => {
    const s = r.memory.streams.find((x) => x.id === id)
    if (!s) throw new Error(`memory.json: no stream ${id}`)
    return s
  }
  const last = (id: string): MemoryPoint => stream(id).points.at(-1)!
  const heap = (p: MemoryPoint): number => (p.heapUsed + p.external) / MB
  const total = r.memory.config.updates
  const totalLabel = total >= 1e6 ? `${total / 1e6}M` : `${total / 1e3}k`
  const memoryCell = (name: string): string => {
    const id = MEMORY_IDS[name]
    if (!id) return ''
    const s = stream(id)
    const p = last(id)
    const at = s.end === 'budget' ? ` after ${fmt(p.updates / 1000, 0)}k (time budget)` : ''
    if (id === 'diffstream')
      return `${fmt(heap(p), 1)} MB (${fmt(heap(last('diffstream-no-compaction')), 1)} MB with \`compaction: false\`)`
    return `${fmt(heap(p), 1)} MB${at}`
  }
  const catchUpCell = (name: string): string => {
    const id = MEMORY_IDS[name]
    if (!id || id === 'automerge') return ''
    const p = last(id)
    if (id === 'diffstream')
      return `${bytes(p.stateBytes)} (${bytes(last('diffstream-no-compaction').stateBytes)} without compaction)`
    return bytes(p.stateBytes)
  }
  const table = markdownTable(
    ['auction stream', ...CONTENDERS.map(([, label]) => label)],
    [
      ['bytes per update', ...CONTENDERS.map(([name]) => bytes(of(name).bytes.mean))],
      ['µs per update (produce + consume)', ...CONTENDERS.map(([name]) => fmt(cpu(name), 0))],
      [`producer memory after ${totalLabel} updates`, ...CONTENDERS.map(([name]) => memoryCell(name))],
      [`newcomer catch-up after ${totalLabel} updates`, ...CONTENDERS.map(([name]) => catchUpCell(name))],
    ],
  )
  const ds = of('DiffStream')
  const patch = of('JSON Patch (original)')
  const yjs = of('raw Yjs')
  const text = [
    day(r.core.machine.date) === day(r.memory.machine.date)
      ? `Measured ${day(r.core.machine.date)} on a 2-core machine.`
      : `Measured ${day(r.core.machine.date)} (core) and ${day(r.memory.machine.date)} (memory) on a 2-core machine.`,
    `Messages are ${ratio(ds.bytes.mean, patch.bytes.mean)} the size of JSON Patch's and ${ratio(ds.bytes.mean, yjs.bytes.mean)} raw Yjs's;`,
    `CPU per update is ${ratio(cpu('DiffStream'), cpu('JSON Patch (original)'))} JSON Patch's and ${ratio(cpu('DiffStream'), cpu('raw Yjs'))} raw Yjs's.`,
    `With compaction a producer's memory and a newcomer's catch-up follow the live data over ${totalLabel} updates instead of the history.`,
  ].join(' ')
  return [table, '', text, '', roomsText(r)].join('\n')
}

/** The WebRTC paragraph, and why the two suites' "highest sustained" for 1 → 1 can disagree. */
function roomsText(r: Results): string {
  const { rooms, fanout } = r
  const blocks = rooms.room.blockP99Ms
  const one = fanout.cases.find((c) => c.consumers === 1)
  const four = fanout.cases.find((c) => c.consumers === 4)
  const eight = fanout.cases.find((c) => c.consumers === 8)
  if (!one || !four || !eight) throw new Error('fanout.json lacks the 1, 4 or 8 consumer case')
  const limit = fanout.config.sustainedP99Ms
  const sustained = (s: Stream): boolean =>
    s.achievedRate >= 0.95 * s.targetRate && s.lost === 0 && s.latencyMs.p99 <= limit
  const roomSteps = [rooms.room, ...rooms.ramp]
  const roomOk = roomSteps.filter(sustained)
  const roomsHighest = roomOk.length > 0 ? Math.max(...roomOk.map((s) => s.targetRate)) : null
  const highest = (n: number | null, lowest: number): string =>
    n === null ? `none of the rates tried (down to ${rate(lowest)})` : rate(n)
  const lowestTried = (c: FanoutCase): number =>
    Math.min(...[...c.fixed, ...c.ramp].filter((x) => x.kind === 'room').map((x) => x.targetRate))

  const parts = [
    `Over real WebRTC between two processes (the \`rooms\` suite, ${day(rooms.machine.date)}) an update arrives in ` +
      `${ms(rooms.room.latencyMs.p50)} at the median at ${rate(rooms.room.targetRate)}, with a p99 of ${ms(rooms.room.latencyMs.p99)} ` +
      `over ${count(rooms.room.count)} updates (a raw data channel in the same run: ${ms(rooms.raw.latencyMs.p50)} and ${ms(rooms.raw.latencyMs.p99)}). ` +
      `The tail comes in bursts: the ${blocks.length} blocks of that run had p99s of ${list(blocks.map((b) => fmt(b, 1)))} ms. ` +
      'Each compaction briefly stalls a live stream on every peer, so rooms compact less eagerly than the facade ' +
      '(at 4× the live data and 1 MiB; `bench/rooms/probes/tail.ts` shows where the slow updates of a run come from).',
    `With every peer on the same two cores (the \`fanout\` suite, ${day(fanout.machine.date)}) a room sustains ` +
      `${highest(four.highest.room, lowestTried(four))} to 4 consumers and ${highest(eight.highest.room, lowestTried(eight))} to 8; ` +
      `raw data channels sustain ${highest(four.highest.raw, 0)} and ${highest(eight.highest.raw, 0)} ` +
      `(sustained: ≥ 95% of the rate sent, nothing lost, p99 ≤ ${limit} ms).`,
  ]
  if (roomsHighest !== one.highest.room) {
    const fixed1k = one.fixed.find((x) => x.kind === 'room' && x.targetRate === 1000)
    const ramp1k = one.ramp.find((x) => x.kind === 'room' && x.targetRate === 1000)
    const passed = one.ramp.filter((x) => x.kind === 'room' && x.sustained)
    parts.push(
      `For 1 → 1 the suites disagree: the \`rooms\` suite found ${roomsHighest === null ? 'no sustained rate' : rate(roomsHighest)}, ` +
        `the \`fanout\` suite ${one.highest.room === null ? 'none' : rate(one.highest.room)}. ` +
        `Both apply the same p99 ≤ ${limit} ms line, and at 1 → 1 the room's p99 sits near it: one stall of a few tens of ms ` +
        'delays every update queued behind it and decides the p99 of a run of a second or two ' +
        `(in the \`rooms\` run, ${rooms.room.gc.slowDuringGc} of the ${rooms.room.gc.slowerThanGoal} updates slower than 5 ms overlapped a GC pause; ` +
        "`bench/results/rooms.md` splits each update's time into sender, send call, transport and receiver). " +
        `The \`rooms\` suite tries ${list(roomSteps.map((s) => `${rate(s.targetRate)} (p99 ${ms(s.latencyMs.p99)})`))} and stops at the first failure; ` +
        `the \`fanout\` suite climbs a ladder in ${fanout.config.rampMs / 1000} s steps from the highest of its fixed rates ` +
        `(${list(fanout.config.fixedRates.map(rate))}) that passed` +
        (passed.length > 0
          ? `, and every step up to ${rate(Math.max(...passed.map((x) => x.targetRate)))} ` +
            `passed (p99 ${ms(Math.min(...passed.map((x) => x.latencyMs.p99)))} to ${ms(Math.max(...passed.map((x) => x.latencyMs.p99)))})`
          : '') +
        (fixed1k && ramp1k
          ? `, while its own fixed ${rate(1000)} run failed (p99 ${ms(fixed1k.latencyMs.p99)}) and its ladder step at ${rate(1000)} passed (p99 ${ms(ramp1k.latencyMs.p99)})`
          : '') +
        '. Above 1 000/s a room sends the updates due in one tick as one message, so higher rates cost it little. ' +
        'Read together: 1 → 1 keeps up with these rates at a p99 of tens of ms on this machine, and which side of the 50 ms line a run lands on varies from run to run.',
    )
  }
  return parts.join('\n\n')
}

/** docs/compaction.md: what the recorded rooms run says about the tail under the room defaults. */
function compactionTail(r: Results): string {
  const { room } = r.rooms
  return (
    `In the last recorded \`rooms\` run (${day(r.rooms.machine.date)}, ${rate(room.targetRate)}, ${count(room.count)} updates) ` +
    `the p50 was ${ms(room.latencyMs.p50)} and the p99 ${ms(room.latencyMs.p99)}; the p99 of its ${room.blockP99Ms.length} blocks was ` +
    `${list(room.blockP99Ms.map((b) => fmt(b, 1)))} ms. \`bench/rooms/probes/tail.ts\` groups a run's slow updates into episodes ` +
    `and shows which overlapped a GC pause (in that run, ${room.gc.slowDuringGc} of the ${room.gc.slowerThanGoal} updates slower than 5 ms did).`
  )
}

/** bench/README.md "Latest results": each suite's headline, as latest.md has it, without its charts. */
function benchLatest(r: Results): string {
  const out: string[] = []
  for (const s of SUITES) {
    const { date, markdown } = r.summaries[s]!
    const body = markdown
      .split('\n')
      .filter((line) => !line.startsWith('!['))
      .join('\n')
      .trim()
    out.push(`**${s}**, measured ${day(date)} ([full report](results/${s}.md)):`, '', body, '')
  }
  return out.join('\n').trim()
}

export const REGIONS: Array<{ file: string; name: string; render: (r: Results) => string }> = [
  { file: 'README.md', name: 'summary', render: readmeSummary },
  { file: 'docs/compaction.md', name: 'room-tail', render: compactionTail },
  { file: 'bench/README.md', name: 'latest', render: benchLatest },
]

// --- filling the marked regions ---------------------------------------------------------------------

const START = (name: string): string => `<!-- bench:${name} -->`
const END = '<!-- /bench -->'

/** `text` with region `name` replaced by `body` (prettier leaves it alone: generated tables stay as written). */
export function fillRegion(text: string, name: string, body: string, file: string): string {
  const start = text.indexOf(START(name))
  const end = start < 0 ? -1 : text.indexOf(END, start)
  if (start < 0 || end < 0) throw new Error(`${file}: no region ${START(name)} … ${END}`)
  const head = text.slice(0, start + START(name).length)
  const block = ['<!-- prettier-ignore-start -->', body, '<!-- prettier-ignore-end -->'].join('\n')
  return `${head}\n${block}\n${text.slice(end)}`
}

/** Fills every region; returns the files whose text changed (written unless `check`). */
export function fillAll(results: Results, check: boolean): string[] {
  const changed: string[] = []
  const byFile = new Map<string, string>()
  for (const region of REGIONS) {
    const path = join(ROOT, region.file)
    const text = byFile.get(path) ?? readFileSync(path, 'utf8')
    byFile.set(path, fillRegion(text, region.name, region.render(results), region.file))
  }
  for (const [path, text] of byFile) {
    if (readFileSync(path, 'utf8') === text) continue
    changed.push(path.slice(ROOT.length))
    if (!check) writeFileSync(path, text)
  }
  return changed
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check')
  const changed = fillAll(loadResults(), check)
  if (check && changed.length > 0) {
    console.error(`figures differ from bench/results in ${changed.join(', ')}; run \`${FIGURES_COMMAND}\``)
    process.exit(1)
  }
  console.error(changed.length > 0 ? `filled ${changed.join(', ')}` : 'figures match bench/results')
}
