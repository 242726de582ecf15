import { loadavg } from 'node:os'
import { CONTENDERS } from './contenders/index.js'
import { barChartSvg, chartLinks, type BarSeries, type Chart } from './charts.js'
import {
  buildWorkload,
  ContenderHost,
  type CatchUp,
  WORKLOAD_NAMES,
  type CoreConfig,
  type CoreRequest,
  type CoreResponse,
  type HostInit,
  type Rep,
  type WorkloadName,
} from './core-measure.js'
import { measurePatch, measureScaling, renderSpeed, speedChecks, type ScalingRow, type SpeedRow } from './core-speed.js'
import { IsolatedModule } from './isolate.js'
import { originalMeanUpdBytes, originalUpdBytes } from './original-wire.js'
import { checkLine, fmt, machineInfo, markdownTable, median } from './report.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'
import { ORIGINAL_MSG2_BYTES, readmeExample } from './workloads/readme.js'
import type { Workload } from './workloads/workload.js'

const DEFAULT: CoreConfig = {
  auctions: 100,
  ticks: 5_000,
  edits: 2_000,
  cacheRecords: 10_000,
  cacheTicks: 5,
  cacheShare: 0.01,
  bigItems: 1_000,
  bigUpdates: 3,
  reps: 3,
  // One repetition: each worker's JIT is warm from the two workloads before, and their initial state takes seconds to build.
  heavyReps: 0,
  scaleRecords: [1_000, 50_000],
  scaleUpdates: 1_000,
}
const QUICK: CoreConfig = {
  auctions: 100,
  ticks: 1_000,
  edits: 300,
  cacheRecords: 2_000,
  cacheTicks: 3,
  cacheShare: 0.01,
  bigItems: 100,
  bigUpdates: 3,
  reps: 0,
  heavyReps: 0,
  scaleRecords: [1_000, 10_000],
  scaleUpdates: 500,
}
/**
 * A warm-up repetition whose timed part took this long (or any, with `reps: 0`) is kept as the only measured one: the JIT
 * has long settled, and repeating it would stretch the run by minutes (Automerge on the large
 * cache and the big record).
 */
const LONG_REP_MS = 2000

interface Measured {
  contender: string
  updates: number
  bytes: { total: number; mean: number; min: number; max: number; initialMean: number }
  /** Per update, medians over the repetitions. */
  usPerUpdate: {
    produce: number
    consume: number
    total: number
    totalMin: number
    totalMax: number
    /** Process CPU (all threads) per update. */
    cpu: number
    /** On-CPU time of the measuring thread per update (NaN where /proc/thread-self/schedstat is missing). */
    threadCpu: number
  }
  /** Median share of wall time the measuring thread waited for a CPU (other processes, or this one's GC helpers). */
  runQueueWaitShare: number
  /** Median share of the machine's CPU capacity used by other processes during the reps. */
  otherLoad: number
  /** Kept repetitions that were still contended (the retry budget ran out). */
  contendedKept: number
  /** The warm-up was long enough to be the measurement (see LONG_REP_MS). */
  warmupKept: boolean
  /** A newcomer catching up with the state the last repetition left. */
  catchUp: CatchUp
  reps: Rep[]
  /** Contended repetitions that were measured again. */
  discarded: Rep[]
}

interface ContenderInfo {
  name: string
  description: string
  patch: boolean
  bulk: boolean
}

const NS_PER_US = 1000

/** A contender host, in its own worker thread or (with `--inline`) in this one. */
class Runner {
  private constructor(
    private readonly send: (req: CoreRequest) => Promise<CoreResponse>,
    readonly close: () => Promise<void>,
  ) {}

  static start(init: HostInit, inline: boolean): Runner {
    if (inline) {
      const host = new ContenderHost(init)
      return new Runner(
        (req) => Promise.resolve(host.handle(req)),
        () => Promise.resolve(host.dispose()),
      )
    }
    const worker = new IsolatedModule<CoreRequest, CoreResponse>(new URL('./core-worker.ts', import.meta.url), init)
    return new Runner(
      (req) => worker.request(req),
      () => worker.close(),
    )
  }

  async ask<K extends CoreRequest['op']>(req: CoreRequest & { op: K }): Promise<Extract<CoreResponse, { op: K }>> {
    const res = await this.send(req)
    if (res.op === 'error') throw new Error(`contender host: ${res.message}`)
    if (res.op !== req.op) throw new Error(`contender host answered ${res.op} to ${req.op}`)
    return res as Extract<CoreResponse, { op: K }>
  }
}

/**
 * A repetition during which other processes used more than this share of the machine's CPU
 * capacity is measured again after a pause, within a budget. Only repetitions long enough for the
 * kernel's 10 ms accounting to mean something are judged.
 */
const CONTENDED_OTHER_LOAD = 0.15
const MIN_JUDGED_REP_MS = 300
const RETRY_PAUSE_MS = 250
/** Wall time the whole suite may spend on retries, so a busy machine does not stretch the run. */
const RETRY_BUDGET_MS = { default: 10_000, quick: 2_000 }

/** What is left of the suite's retry time. */
class RetryBudget {
  private spentMs = 0
  retries = 0

  constructor(private readonly limitMs: number) {}

  get left(): boolean {
    return this.spentMs < this.limitMs
  }

  spend(ms: number): void {
    this.spentMs += ms
    this.retries++
  }
}

function contended(r: Rep): boolean {
  return (
    r.otherLoad !== null && r.otherLoad > CONTENDED_OTHER_LOAD && (r.produceNs + r.consumeNs) / 1e6 >= MIN_JUDGED_REP_MS
  )
}

function waitShare(r: Rep): number {
  return r.runQueueWaitNs === null ? NaN : r.runQueueWaitNs / (r.produceNs + r.consumeNs)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Every contender on one workload: one warm-up repetition each, then `reps`, rotating the order.
 * Contended repetitions are measured again while the retry budget lasts, and kept aside in `discarded`.
 */
async function measure(
  runners: readonly Runner[],
  infos: readonly ContenderInfo[],
  workload: WorkloadName,
  n: number,
  reps: number,
  budget: RetryBudget,
): Promise<Measured[]> {
  const sizes: number[][] = []
  const initial: number[] = []
  const samples: Rep[][] = runners.map(() => [])
  const discarded: Rep[][] = runners.map(() => [])
  const warmupKept: boolean[] = []
  for (const [i, r] of runners.entries()) {
    const res = await r.ask({ op: 'rep', workload, sizes: true }) // warm-up; message sizes are deterministic
    sizes.push(res.sizes ?? [])
    initial.push(res.initialMean)
    const long = reps === 0 || (res.rep.produceNs + res.rep.consumeNs) / 1e6 >= LONG_REP_MS
    warmupKept.push(long)
    if (long) samples[i]!.push(res.rep)
  }
  for (let rep = 0; rep < reps; rep++) {
    for (let i = 0; i < runners.length; i++) {
      const at = (i + rep) % runners.length
      if (warmupKept[at]) continue
      let sample = (await runners[at]!.ask({ op: 'rep', workload, sizes: false })).rep
      while (contended(sample) && budget.left) {
        const t0 = performance.now()
        discarded[at]!.push(sample)
        await sleep(RETRY_PAUSE_MS)
        sample = (await runners[at]!.ask({ op: 'rep', workload, sizes: false })).rep
        budget.spend(performance.now() - t0)
      }
      samples[at]!.push(sample)
    }
  }
  const catchUps: CatchUp[] = []
  for (const r of runners) catchUps.push((await r.ask({ op: 'catchup', workload })).catchUp)
  const perUpdate = (ns: number): number => ns / n / NS_PER_US
  return infos.map((info, i) => {
    const s = sizes[i]!
    const rs = samples[i]!
    const total = s.reduce((a, b) => a + b, 0)
    const totals = rs.map((x) => perUpdate(x.produceNs + x.consumeNs))
    return {
      contender: info.name,
      updates: n,
      bytes: { total, mean: total / n, min: Math.min(...s), max: Math.max(...s), initialMean: initial[i]! },
      usPerUpdate: {
        produce: median(rs.map((x) => perUpdate(x.produceNs))),
        consume: median(rs.map((x) => perUpdate(x.consumeNs))),
        total: median(totals),
        totalMin: Math.min(...totals),
        totalMax: Math.max(...totals),
        cpu: median(rs.map((x) => x.cpuUs / n)),
        threadCpu: median(rs.map((x) => (x.threadCpuNs === null ? NaN : perUpdate(x.threadCpuNs)))),
      },
      runQueueWaitShare: median(rs.map(waitShare)),
      otherLoad: median(rs.map((x) => x.otherLoad ?? NaN)),
      contendedKept: rs.filter(contended).length,
      warmupKept: warmupKept[i]!,
      catchUp: catchUps[i]!,
      reps: rs,
      discarded: discarded[i]!,
    }
  })
}

type Example = { contender: string; msg1: number; msg2: number }

function byName(results: readonly Measured[], name: string): Measured {
  const m = results.find((r) => r.contender === name)
  if (!m) throw new Error(`no results for ${name}`)
  return m
}

type MeasuredWorkload = {
  w: Workload
  results: Measured[]
  /** Mean bytes of the original Python wire format (README edits and auction only: NaN elsewhere). */
  originalUpdBytes: number
  /** Mean JSON size of the updated records: what full JSON sends per update. */
  recordJsonBytes: number
  /** Measured repetitions after the warm-up (0: the warm-up is the measurement). */
  reps: number
}

function checks(auction: readonly Measured[], edits: readonly Measured[], originalAuctionBytes: number): Check[] {
  const ds = byName(auction, 'DiffStream')
  const jp = byName(auction, 'JSON Patch (original)')
  const jpIn = byName(auction, 'JSON Patch (in place)')
  const dsE = byName(edits, 'DiffStream')
  const jpE = byName(edits, 'JSON Patch (original)')
  const ratio = ds.bytes.mean / jp.bytes.mean
  const cpuCheck = (goal: string, a: Measured, b: Measured): Check => ({
    goal,
    pass: a.usPerUpdate.total <= b.usPerUpdate.total,
    detail:
      `${fmt(a.usPerUpdate.total, 2)} µs vs ${fmt(b.usPerUpdate.total, 2)} µs per update = ${fmt(a.usPerUpdate.total / b.usPerUpdate.total, 2)}×, ` +
      'wall time of produce+encode+decode+apply, median of reps; ' +
      `thread CPU ${fmt(a.usPerUpdate.threadCpu, 2)} vs ${fmt(b.usPerUpdate.threadCpu, 2)} µs, process CPU ${fmt(a.usPerUpdate.cpu, 2)} vs ${fmt(b.usPerUpdate.cpu, 2)} µs`,
  })
  return [
    {
      goal: "DiffStream bytes per auction update ≤ 1/3 of JSON Patch's",
      pass: ratio <= 1 / 3,
      detail:
        `${fmt(ds.bytes.mean, 1)} B vs ${fmt(jp.bytes.mean, 1)} B = ${fmt(ratio, 3)}, limit 0.333; ` +
        `vs the original's own wire format (${fmt(originalAuctionBytes, 1)} B): ${fmt(ds.bytes.mean / originalAuctionBytes, 3)}`,
    },
    cpuCheck(
      "DiffStream CPU per update ≤ JSON Patch's (auction; JSON Patch applying to a copy, as the original)",
      ds,
      jp,
    ),
    cpuCheck("DiffStream CPU per update ≤ JSON Patch's (auction; JSON Patch applying in place)", ds, jpIn),
    cpuCheck("DiffStream CPU per update ≤ JSON Patch's (README edits; JSON Patch applying to a copy)", dsE, jpE),
  ]
}

/** Short workload labels for tables and charts. */
const LABEL: Record<WorkloadName, string> = {
  'readme-edits': 'README edits',
  auction: 'auction',
  'large-cache': 'large cache',
  'big-record': 'big record',
}

const us = (v: number): string => fmt(v, v < 10 ? 2 : 1)
/** µs, or ms for a slow workload (the big record's updates take hundreds of ms). */
const time = (v: number, inMs: boolean): string => (inMs ? `${fmt(v / 1000, v < 10_000 ? 2 : 1)} ms` : us(v))

/** A workload whose typical (median) contender takes over a millisecond per update is shown in ms. */
function slowWorkload(mw: MeasuredWorkload): boolean {
  return median(mw.results.map((m) => Math.max(m.usPerUpdate.produce, m.usPerUpdate.consume))) >= 1000
}
const ms = (v: number): string => fmt(v, v < 10 ? 2 : 1)

/** Bytes as B, KB or MB (10^3 and 10^6). */
function bytes(v: number): string {
  if (v >= 1e6) return `${fmt(v / 1e6, 2)} MB`
  if (v >= 1e4) return `${fmt(v / 1e3, 1)} KB`
  return `${fmt(v, v < 100 ? 1 : 0)} B`
}

/** The three headline tables: bytes, CPU and catch-up, contenders × workloads. */
function summaryTables(contenders: readonly ContenderInfo[], workloads: readonly MeasuredWorkload[]): string {
  const names = workloads.map(({ w }) => LABEL[w.name as WorkloadName] ?? w.name)
  const align = (n: number): Array<'left' | 'right'> => ['left', ...Array<'right'>(n).fill('right')]
  const cell = (c: ContenderInfo, f: (m: Measured, mw: MeasuredWorkload) => string): string[] =>
    workloads.map((mw) => {
      const m = mw.results.find((r) => r.contender === c.name)
      return m ? f(m, mw) : 'n/a'
    })
  const bytesTable = markdownTable(
    ['bytes per update', ...names],
    [
      ...contenders.map((c) => [c.name, ...cell(c, (m) => bytes(m.bytes.mean))]),
      ['*full record as JSON (size of the record)*', ...workloads.map((m) => bytes(m.recordJsonBytes))],
    ],
    align(names.length),
  )
  const cpuTable = markdownTable(
    ['time per update (µs; ms where marked): produce / consume', ...names],
    contenders.map((c) => [
      c.name,
      ...cell(
        c,
        (m, mw) =>
          `${time(m.usPerUpdate.produce, slowWorkload(mw))} / ${time(m.usPerUpdate.consume, slowWorkload(mw))}${mw.reps > 0 && m.warmupKept ? ' ¹' : ''}`,
      ),
    ]),
    align(names.length),
  )
  const catchUpTable = markdownTable(
    ['newcomer catch-up: bytes, ms (encode + restore)', ...names],
    [
      ...contenders.map((c) => [
        c.name,
        ...cell(c, (m) => `${bytes(m.catchUp.bytes)}, ${ms(m.catchUp.encodeMs + m.catchUp.restoreMs)}`),
      ]),
      ['*live data as JSON*', ...workloads.map(({ results }) => bytes(results[0]?.catchUp.jsonBytes ?? NaN))],
    ],
    align(names.length),
  )
  return [bytesTable, '', cpuTable, '', catchUpTable].join('\n')
}

function charts(contenders: readonly ContenderInfo[], workloads: readonly MeasuredWorkload[], note: string): Chart[] {
  const groups = workloads.map(({ w }) => LABEL[w.name as WorkloadName] ?? w.name)
  const series = (f: (m: Measured) => number): BarSeries[] =>
    contenders.map((c) => ({
      name: c.name,
      values: workloads.map(({ results }) => {
        const m = results.find((r) => r.contender === c.name)
        return m ? f(m) : null
      }),
    }))
  const bar = (name: string, title: string, yLabel: string, f: (m: Measured) => number): Chart => ({
    name,
    title,
    svg: barChartSvg({ title, yLabel, groups, series: series(f), log: true, note }),
  })
  return [
    bar('bytes-per-update', 'Bytes per update on the wire', 'bytes per update', (m) => m.bytes.mean),
    bar('cpu-produce', 'Producer CPU per update (record → bytes)', 'µs per update', (m) => m.usPerUpdate.produce),
    bar('cpu-consume', 'Consumer CPU per update (bytes → copy updated)', 'µs per update', (m) => m.usPerUpdate.consume),
    bar('catchup-bytes', "Newcomer catch-up: bytes of the producer's state", 'bytes', (m) => m.catchUp.bytes),
    bar(
      'catchup-time',
      'Newcomer catch-up: time (producer encodes + newcomer restores)',
      'ms',
      (m) => m.catchUp.encodeMs + m.catchUp.restoreMs,
    ),
  ]
}

function render(
  config: CoreConfig,
  machine: Record<string, unknown>,
  contenders: readonly ContenderInfo[],
  example: readonly Example[],
  workloads: readonly MeasuredWorkload[],
  checkList: readonly Check[],
  originalMsg2: number,
  quick: boolean,
  chartLinks: string,
  speed: string,
): string {
  const edits = workloads.find((m) => m.w.name === 'readme-edits')!
  const auction = workloads.find((m) => m.w.name === 'auction')!
  const jpA = byName(auction.results, 'JSON Patch (original)')
  const readme = markdownTable(
    [
      'Contender',
      'README msg 2 B',
      'README edits B/upd',
      'Auction B/upd',
      'Auction B vs JSON Patch',
      'Auction µs vs JSON Patch',
    ],
    [
      ...contenders.map((c) => {
        const ex = example.find((e) => e.contender === c.name)!
        const e = byName(edits.results, c.name)
        const a = byName(auction.results, c.name)
        return [
          c.name,
          String(ex.msg2),
          fmt(e.bytes.mean, 1),
          fmt(a.bytes.mean, 1),
          `${fmt(a.bytes.mean / jpA.bytes.mean, 2)}×`,
          `${fmt(a.usPerUpdate.total / jpA.usPerUpdate.total, 2)}×`,
        ]
      }),
      [
        '*original Python wire format (bytes only)*',
        String(originalMsg2),
        fmt(edits.originalUpdBytes, 1),
        fmt(auction.originalUpdBytes, 1),
        `${fmt(auction.originalUpdBytes / jpA.bytes.mean, 2)}×`,
        '',
      ],
    ],
    ['left', 'right', 'right', 'right', 'right', 'right'],
  )
  const contended = workloads.flatMap(({ w, results }) =>
    results.filter((m) => m.contendedKept > 0).map((m) => `${m.contender} on ${w.name}`),
  )
  const detailRows: string[][] = []
  for (const { w, results } of workloads) {
    for (const m of results) {
      detailRows.push([
        w.name,
        m.contender,
        `${fmt(m.bytes.min, 0)}–${fmt(m.bytes.max, 0)}`,
        fmt(m.bytes.initialMean, 1),
        us(m.usPerUpdate.produce),
        us(m.usPerUpdate.consume),
        `${us(m.usPerUpdate.total)} (${us(m.usPerUpdate.totalMin)}–${us(m.usPerUpdate.totalMax)})`,
        m.warmupKept ? '1 (warm-up)' : String(m.reps.length),
        us(m.usPerUpdate.threadCpu),
        us(m.usPerUpdate.cpu),
        `${fmt(100 * m.runQueueWaitShare, 0)}%`,
        `${fmt(100 * m.otherLoad, 0)}%${m.discarded.length > 0 ? ` (${m.discarded.length} retried)` : ''}`,
      ])
    }
  }
  const detail = markdownTable(
    [
      'Workload',
      'Contender',
      'upd B min–max',
      '`new` B (untimed)',
      'produce µs',
      'consume µs',
      'total µs (min–max of reps)',
      'reps',
      'thread CPU µs',
      'process CPU µs',
      'CPU wait',
      'other load',
    ],
    detailRows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
  const catchRows = workloads.flatMap(({ w, results }) =>
    results.map((m) => [
      w.name,
      m.contender,
      bytes(m.catchUp.bytes),
      `${fmt(m.catchUp.bytes / m.catchUp.jsonBytes, 2)}×`,
      ms(m.catchUp.encodeMs),
      ms(m.catchUp.restoreMs),
    ]),
  )
  const catchDetail = markdownTable(
    ['Workload', 'Contender', 'state bytes', 'vs live JSON', 'producer encode ms', 'newcomer restore ms'],
    catchRows,
    ['left', 'left', 'right', 'right', 'right', 'right'],
  )
  return [
    '# Core benchmark: bytes, CPU and catch-up per method',
    '',
    `${String(machine['date'])} · Node ${String(machine['node'])} · ${String(machine['cpuModel'])} × ${String(machine['cpuCount'])} · ` +
      `each contender in its own worker thread · ${config.reps > 0 ? `median of ${config.reps} reps after 1 warm-up (${config.heavyReps > 0 ? `${config.heavyReps} reps` : 'one repetition'} on the large cache and big record)` : 'one repetition each'}`,
    '',
    ...(quick
      ? [
          '**Smoke run (`--quick`)**: smaller workloads (a 2 000-record cache, a 1 MB record) and short repetitions while the JIT is still optimising; bytes are fine, timings are not comparable with a full run.',
          '',
        ]
      : []),
    summaryTables(contenders, workloads),
    '',
    '- **bytes per update**: mean size of one update message on the wire (the untimed initial records excluded).',
    '- **time per update**: wall time per update, median over repetitions; produce = record → bytes (diff, checksum, encode), ' +
      'consume = bytes → consumer copy up to date (decode, checks, apply). ¹ the warm-up repetition took over ' +
      `${LONG_REP_MS / 1000} s and was kept as the only one.`,
    "- **newcomer catch-up**: after the workload, the producer encodes everything a fresh consumer needs (DiffStream: `retran`, i.e. the mirror's Yjs state; " +
      'CRDTs: their snapshot with history; JSON methods: all records as JSON), and a fresh consumer restores it and is checked.',
    '',
    chartLinks,
    '',
    '## README example and the original',
    '',
    readme,
    '',
    `README msg 2: the second message of the original README example; the original README reports ${ORIGINAL_MSG2_BYTES} B, ` +
      `and the last row recomputes the original's format (\`["u", key, json.dumps(patch), md5]\`, Python separators) from the same patches: ${originalMsg2} B. ` +
      'Ratios are against "JSON Patch (original)", whose message is compact JSON `{cmd, key, patch, checksum}`. ' +
      "Yjs bytes grow slowly with the stream: clocks and origins are varints, so longer runs (and `--quick`'s shorter one) differ by a few bytes.",
    '',
    '## Per phase',
    '',
    detail,
    '',
    'Thread CPU = on-CPU time of the measuring thread; ' +
      'process CPU adds every other thread (parallel GC helpers), so it can exceed wall time. ' +
      'CPU wait = share of wall time the measuring thread was runnable but had no CPU (its own GC helper threads compete for the 2 cores too); ' +
      `other load = share of the machine's CPU used by other processes; a repetition (≥ ${MIN_JUDGED_REP_MS} ms) above ${100 * CONTENDED_OTHER_LOAD}% is measured again after a pause, within a budget.`,
    ...(contended.length > 0
      ? [
          '',
          `**Warning**: the machine was busy; ${contended.join(', ')} kept contended repetitions after the retry budget ran out, so their wall times are inflated (thread CPU is less affected).`,
        ]
      : []),
    '',
    speed,
    '## Newcomer catch-up',
    '',
    catchDetail,
    '',
    'State bytes vs live JSON: what a newcomer receives against the JSON of the records it ends up holding (history and metadata make CRDT states larger; compaction trims the history).',
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
  description:
    'bytes, CPU and newcomer catch-up per update: full JSON, JSON Patch + md5 (the original), jsondiffpatch, raw Yjs, Automerge, Loro, DiffStream',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : DEFAULT
    const machine = machineInfo([
      'yjs',
      'fast-json-patch',
      'jsondiffpatch',
      '@automerge/automerge',
      'loro-crdt',
      'lib0',
      '@diffstream/core',
    ])
    const runners = Object.keys(CONTENDERS).map((contender) =>
      Runner.start({ contender, config, seed: options.seed }, options.inline),
    )
    try {
      const infos: ContenderInfo[] = await Promise.all(
        runners.map(async (r) => {
          const { name, description, patch, bulk } = await r.ask({ op: 'info' })
          return { name, description, patch, bulk }
        }),
      )
      const example: Example[] = []
      for (const [i, r] of runners.entries()) {
        const { msg1, msg2 } = await r.ask({ op: 'example' })
        example.push({ contender: infos[i]!.name, msg1, msg2 })
      }
      const [first, second] = readmeExample()
      const originalMsg2 = originalUpdBytes(first, second)
      const measured: MeasuredWorkload[] = []
      const budget = new RetryBudget(options.quick ? RETRY_BUDGET_MS.quick : RETRY_BUDGET_MS.default)
      for (const name of WORKLOAD_NAMES) {
        const w = buildWorkload(name, config, options.seed) // for its description and size; each host builds its own copy
        const heavy = name === 'large-cache' || name === 'big-record'
        const reps = heavy ? config.heavyReps : config.reps
        const t0 = performance.now()
        const results = await measure(runners, infos, name, w.updates.length, reps, budget)
        console.error(
          `  ${w.name}: ${w.updates.length} updates × ${runners.length} contenders × ${Math.max(1, reps + (reps > 0 ? 1 : 0))} reps in ${fmt((performance.now() - t0) / 1000, 1)} s`,
        )
        const recordJsonBytes =
          w.updates.reduce((a, r) => a + Buffer.byteLength(JSON.stringify(r)), 0) / Math.max(1, w.updates.length)
        // The original's format is the reference for its own workloads; recomputing it over 10 MB records takes seconds.
        const original = heavy ? NaN : originalMeanUpdBytes(w)
        measured.push({ w, results, originalUpdBytes: original, recordJsonBytes, reps })
      }
      // The speed rows (issue 15): path writes in the big record, and the cache's size against the cost per update.
      const hosts = runners.map((r, i) => ({
        ...infos[i]!,
        ask: (req: CoreRequest) => r.ask(req) as Promise<CoreResponse>,
      }))
      const t1 = performance.now()
      const patch: SpeedRow[] = await measurePatch(hosts, config.bigUpdates, Math.max(1, config.heavyReps))
      const scaling: ScalingRow[] = await measureScaling(hosts, config.scaleRecords, config.scaleUpdates, 1)
      console.error(`  path writes and scaling rows in ${fmt((performance.now() - t1) / 1000, 1)} s`)
      machine['loadAvgAfter'] = loadavg()
      machine['contendedRepsRetried'] = budget.retries
      const byWorkload = (n: WorkloadName): Measured[] => measured.find((m) => m.w.name === n)!.results
      const originalAuction = measured.find((m) => m.w.name === 'auction')!.originalUpdBytes
      const checkList = [
        ...checks(byWorkload('auction'), byWorkload('readme-edits'), originalAuction),
        ...speedChecks((n) => byWorkload(n as WorkloadName), patch, scaling),
      ]
      const note = `${options.quick ? 'smoke run (--quick), ' : ''}Node ${process.version}, ${String(machine['cpuModel'])} × ${String(machine['cpuCount'])}, ${String(machine['date']).slice(0, 10)}`
      const chartList = charts(infos, measured, note)
      const links = chartLinks(chartList, options.quick ? '-quick' : '')
      const speed = renderSpeed(patch, scaling, config.scaleUpdates)
      const markdown = render(
        config,
        machine,
        infos,
        example,
        measured,
        checkList,
        originalMsg2,
        options.quick,
        links,
        speed,
      )
      const data: Record<string, unknown> = {
        suite: 'core',
        machine,
        config: {
          ...config,
          quick: options.quick,
          seed: options.seed,
          isolation: options.inline ? 'inline' : 'worker per contender',
          gcExposed: typeof globalThis.gc === 'function',
          longRepMs: LONG_REP_MS,
        },
        readmeExample: {
          originalMsg2BytesPerReadme: ORIGINAL_MSG2_BYTES,
          originalMsg2BytesRecomputed: originalMsg2,
          contenders: example,
        },
        workloads: measured.map(({ w, results, originalUpdBytes, recordJsonBytes }) => ({
          name: w.name,
          description: w.description,
          initialRecords: w.initial.length,
          updates: w.updates.length,
          meanRecordJsonBytes: recordJsonBytes,
          originalWireFormatMeanUpdBytes: originalUpdBytes,
          results,
        })),
        contenders: infos,
        pathWrites: patch,
        scaling,
        checks: checkList,
      }
      const summary = [summaryTables(infos, measured), '', links].join('\n')
      return { markdown, data, checks: checkList, summary, charts: chartList }
    } finally {
      await Promise.all(runners.map((r) => r.close()))
    }
  },
}
