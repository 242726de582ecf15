import { keyId, type BenchRecord, type Contender } from './contender.js'
import { DiffStream } from './contenders/diffstream.js'
import { FullJson } from './contenders/full-json.js'
import { JsonPatch } from './contenders/json-patch.js'
import { RawYjs } from './contenders/raw-yjs.js'
import { checkLine, fmt, machineInfo, markdownTable, median } from './report.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'
import { auctionStream } from './workloads/auction.js'
import { ORIGINAL_MSG2_BYTES, readmeEdits, readmeExample } from './workloads/readme.js'
import { finalState, type Workload } from './workloads/workload.js'

interface Config {
  auctions: number
  ticks: number
  edits: number
  /** Measured repetitions per contender and workload (after one warm-up repetition). */
  reps: number
}

const DEFAULT: Config = { auctions: 100, ticks: 20_000, edits: 5_000, reps: 5 }
const QUICK: Config = { auctions: 100, ticks: 3_000, edits: 1_000, reps: 3 }

/** One timed repetition: a fresh producer/consumer pair runs the whole workload. */
interface Rep {
  /** All `produce` calls of the timed updates, back to back. */
  produceNs: number
  /** All `consume` calls of the same messages, back to back. */
  consumeNs: number
  /** Process CPU time (user + system, all threads incl. GC helpers) over both phases. */
  cpuUs: number
}

interface Measured {
  contender: string
  updates: number
  bytes: { total: number; mean: number; min: number; max: number; initialMean: number }
  /** Per update, medians over the repetitions. */
  usPerUpdate: { produce: number; consume: number; total: number; totalMin: number; totalMax: number; cpu: number }
  reps: Rep[]
}

const NS_PER_US = 1000

function collectGarbage(): void {
  globalThis.gc?.()
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical)
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = canonical(o[k])
    return out
  }
  return v
}

/** Throws when a consumer does not hold exactly what the producer last sent: a broken contender. */
function verify(c: Contender, expected: Map<string, BenchRecord>): void {
  for (const [id, record] of expected) {
    const got = JSON.stringify(canonical(c.read(record.key)))
    const want = JSON.stringify(canonical(record))
    if (got !== want) throw new Error(`${c.name}: consumer copy of ${id} differs\n  got  ${got}\n  want ${want}`)
  }
}

function runRep(c: Contender, w: Workload, expected: Map<string, BenchRecord>, sizes: number[] | null): Rep {
  c.setup()
  for (const r of w.initial) c.consume(c.produce(r))
  const n = w.updates.length
  const messages = new Array<Uint8Array>(n)
  collectGarbage()
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) messages[i] = c.produce(w.updates[i]!)
  const t1 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) c.consume(messages[i]!)
  const t2 = process.hrtime.bigint()
  const cpu = process.cpuUsage(cpu0)
  verify(c, expected)
  if (sizes) for (const m of messages) sizes.push(m.length)
  return { produceNs: Number(t1 - t0), consumeNs: Number(t2 - t1), cpuUs: cpu.user + cpu.system }
}

function initialBytes(c: Contender, w: Workload): number {
  c.setup()
  let total = 0
  for (const r of w.initial) {
    const bytes = c.produce(r)
    total += bytes.length
    c.consume(bytes)
  }
  return w.initial.length > 0 ? total / w.initial.length : 0
}

/** Runs every contender on the workload: one warm-up repetition, then `reps`, rotating the order. */
function measure(contenders: readonly Contender[], w: Workload, reps: number): Measured[] {
  const expected = finalState(w)
  const sizes = new Map<Contender, number[]>()
  const samples = new Map<Contender, Rep[]>()
  for (const c of contenders) {
    sizes.set(c, [])
    samples.set(c, [])
    runRep(c, w, expected, sizes.get(c)!) // warm-up; also records the message sizes (deterministic)
  }
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length]!
      samples.get(c)!.push(runRep(c, w, expected, null))
    }
  }
  const n = w.updates.length
  return contenders.map((c) => {
    const s = sizes.get(c)!
    const rs = samples.get(c)!
    const total = s.reduce((a, b) => a + b, 0)
    const totals = rs.map((x) => (x.produceNs + x.consumeNs) / n / NS_PER_US)
    return {
      contender: c.name,
      updates: n,
      bytes: { total, mean: total / n, min: Math.min(...s), max: Math.max(...s), initialMean: initialBytes(c, w) },
      usPerUpdate: {
        produce: median(rs.map((x) => x.produceNs / n / NS_PER_US)),
        consume: median(rs.map((x) => x.consumeNs / n / NS_PER_US)),
        total: median(totals),
        totalMin: Math.min(...totals),
        totalMax: Math.max(...totals),
        cpu: median(rs.map((x) => x.cpuUs / n)),
      },
      reps: rs,
    }
  })
}

/** The README's two-message example: bytes of each message. */
function readmeMessages(contenders: readonly Contender[]): { contender: string; msg1: number; msg2: number }[] {
  const [first, second] = readmeExample()
  return contenders.map((c) => {
    c.setup()
    const m1 = c.produce(first)
    c.consume(m1)
    const m2 = c.produce(second)
    c.consume(m2)
    verify(c, new Map([[keyId(second.key), second]]))
    return { contender: c.name, msg1: m1.length, msg2: m2.length }
  })
}

function byName(results: readonly Measured[], name: string): Measured {
  const m = results.find((r) => r.contender === name)
  if (!m) throw new Error(`no results for ${name}`)
  return m
}

function checks(auction: readonly Measured[], edits: readonly Measured[]): Check[] {
  const ds = byName(auction, 'DiffStream')
  const jp = byName(auction, 'JSON Patch (original)')
  const jpIn = byName(auction, 'JSON Patch (in place)')
  const dsE = byName(edits, 'DiffStream')
  const jpE = byName(edits, 'JSON Patch (original)')
  const ratio = ds.bytes.mean / jp.bytes.mean
  const cpuCheck = (goal: string, a: Measured, b: Measured): Check => ({
    goal,
    pass: a.usPerUpdate.total <= b.usPerUpdate.total,
    detail: `${fmt(a.usPerUpdate.total, 2)} µs vs ${fmt(b.usPerUpdate.total, 2)} µs per update, ${fmt(a.usPerUpdate.total / b.usPerUpdate.total, 2)}×; median of reps, produce+encode+decode+apply`,
  })
  return [
    {
      goal: "DiffStream bytes per auction update ≤ 1/3 of JSON Patch's",
      pass: ratio <= 1 / 3,
      detail: `${fmt(ds.bytes.mean, 1)} B vs ${fmt(jp.bytes.mean, 1)} B, ratio ${fmt(ratio, 3)}; limit 0.333`,
    },
    cpuCheck("DiffStream CPU per update ≤ JSON Patch's (auction, vs the original's copy-on-apply)", ds, jp),
    cpuCheck("DiffStream CPU per update ≤ JSON Patch's (auction, vs in-place apply)", ds, jpIn),
    cpuCheck("DiffStream CPU per update ≤ JSON Patch's (README edits, vs the original's copy-on-apply)", dsE, jpE),
  ]
}

function render(
  config: Config,
  machine: Record<string, unknown>,
  contenders: readonly Contender[],
  example: ReturnType<typeof readmeMessages>,
  workloads: readonly { w: Workload; results: Measured[] }[],
  checkList: readonly Check[],
): string {
  const [edits, auction] = [workloads[0]!, workloads[1]!]
  const jpA = byName(auction.results, 'JSON Patch (original)')
  const summary = markdownTable(
    ['Contender', 'README msg 2 (B)', 'README edits B/upd', 'README edits µs/upd', 'Auction B/upd', 'Auction µs/upd', 'Auction bytes vs JSON Patch', 'Auction CPU vs JSON Patch'],
    contenders.map((c) => {
      const ex = example.find((e) => e.contender === c.name)!
      const e = byName(edits.results, c.name)
      const a = byName(auction.results, c.name)
      return [
        c.name,
        String(ex.msg2),
        fmt(e.bytes.mean, 1),
        fmt(e.usPerUpdate.total, 2),
        fmt(a.bytes.mean, 1),
        fmt(a.usPerUpdate.total, 2),
        `${fmt(a.bytes.mean / jpA.bytes.mean, 2)}×`,
        `${fmt(a.usPerUpdate.total / jpA.usPerUpdate.total, 2)}×`,
      ]
    }),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const detailRows: string[][] = []
  for (const { w, results } of workloads) {
    for (const m of results) {
      detailRows.push([
        w.name,
        m.contender,
        `${fmt(m.bytes.min, 0)}–${fmt(m.bytes.max, 0)}`,
        fmt(m.bytes.initialMean, 1),
        fmt(m.usPerUpdate.produce, 2),
        fmt(m.usPerUpdate.consume, 2),
        `${fmt(m.usPerUpdate.total, 2)} (${fmt(m.usPerUpdate.totalMin, 2)}–${fmt(m.usPerUpdate.totalMax, 2)})`,
        fmt(m.usPerUpdate.cpu, 2),
      ])
    }
  }
  const detail = markdownTable(
    ['Workload', 'Contender', 'upd bytes min–max', '`new` B (untimed)', 'produce µs', 'consume µs', 'total µs (min–max of reps)', 'process CPU µs'],
    detailRows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const example2 = example.find((e) => e.contender === 'DiffStream')
  return [
    '# Core benchmark: bytes and CPU per update',
    '',
    `${String(machine['date'])} · Node ${String(machine['node'])} · ${String(machine['cpuModel'])} × ${String(machine['cpuCount'])} · ` +
      `${config.reps} measured reps (median) after 1 warm-up · seed-generated workloads`,
    '',
    summary,
    '',
    `µs/upd = wall time of produce + encode + decode + apply per update message (median over reps). ` +
      `README msg 2 is the second message of the original README example (the original Python DiffStream sent ${ORIGINAL_MSG2_BYTES} B; ` +
      `DiffStream sends ${example2?.msg2 ?? '?'} B). Ratios are against "JSON Patch (original)".`,
    '',
    '## Per phase',
    '',
    detail,
    '',
    'produce = record → bytes (diff, checksum, encode); consume = bytes → consumer copy updated (decode, checks, apply). ' +
      'Process CPU counts all threads (GC helpers included), so it can exceed wall time.',
    '',
    '## Goals',
    '',
    ...checkList.map((c) => `- ${checkLine(c)}`),
    '',
    '## Workloads and contenders',
    '',
    ...workloads.map(({ w }) => `- **${w.name}**: ${w.description}`),
    ...contenders.map((c) => `- **${c.name}**: ${c.description}`),
    '',
  ].join('\n')
}

export const coreSuite: Suite = {
  name: 'core',
  description: 'bytes per update and CPU per update: full JSON, JSON Patch + md5 (the original), raw Yjs, DiffStream',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : DEFAULT
    const contenders: Contender[] = [new FullJson(), new JsonPatch(false), new JsonPatch(true), new RawYjs(), new DiffStream()]
    const machine = machineInfo(['yjs', 'fast-json-patch', 'lib0', '@diffstream/core'])
    const example = readmeMessages(contenders)
    const workloads = [readmeEdits(config.edits, options.seed), auctionStream(config.auctions, config.ticks, options.seed + 1)]
    const measured: { w: Workload; results: Measured[] }[] = []
    for (const w of workloads) {
      const t0 = performance.now()
      const results = measure(contenders, w, config.reps)
      console.error(`  ${w.name}: ${w.updates.length} updates × ${contenders.length} contenders × ${config.reps + 1} reps in ${fmt((performance.now() - t0) / 1000, 1)} s`)
      measured.push({ w, results })
    }
    for (const c of contenders) c.dispose?.()
    const checkList = checks(measured[1]!.results, measured[0]!.results)
    const markdown = render(config, machine, contenders, example, measured, checkList)
    const data: Record<string, unknown> = {
      suite: 'core',
      machine,
      config: { ...config, quick: options.quick, seed: options.seed, gcExposed: typeof globalThis.gc === 'function' },
      readmeExample: { originalMsg2Bytes: ORIGINAL_MSG2_BYTES, contenders: example },
      workloads: measured.map(({ w, results }) => ({
        name: w.name,
        description: w.description,
        initialRecords: w.initial.length,
        updates: w.updates.length,
        results,
      })),
      contenders: contenders.map((c) => ({ name: c.name, description: c.description })),
      checks: checkList,
    }
    return { markdown, data, checks: checkList }
  },
}
