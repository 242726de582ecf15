import { fork, type ChildProcess } from 'node:child_process'
import { loadavg } from 'node:os'
import { chartLinks, lineChartSvg, type Chart, type LineSeries } from './charts.js'
import type { ChildReport, MemoryJob, MemoryPoint } from './memory/protocol.js'
import { checkLine, fmt, machineInfo, markdownTable } from './report.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'

/*
 * `memory`: memory and state size over a long auction stream (the demo's stream: 100 lots, one
 * `last_bid` replaced per update), per contender, each in its own process. The producer side
 * only: it holds the history a newcomer catches up from, and the consumer's copy mirrors it.
 */

interface MemoryConfig {
  updates: number
  checkpoints: number[]
  catchUpAt: number[]
  /** Processes run side by side (the machine has 2 cores). */
  lanes: number
  /** Wall-time budget per contender, ms, and Automerge's (see CONTENDERS). */
  budgetMs: number
  slowBudgetMs: number
  /** A newcomer's restore predicted to take longer than this is not timed. */
  restoreCapMs: number
}

const DEFAULT: MemoryConfig = {
  updates: 1_000_000,
  checkpoints: [1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6],
  catchUpAt: [1e4, 1e5, 1e6],
  lanes: 2,
  budgetMs: 130_000,
  slowBudgetMs: 40_000,
  restoreCapMs: 15_000,
}
const QUICK: MemoryConfig = {
  updates: 50_000,
  checkpoints: [1e3, 2e3, 5e3, 1e4, 2e4, 5e4],
  catchUpAt: [1e4, 5e4],
  lanes: 2,
  budgetMs: 20_000,
  slowBudgetMs: 15_000,
  restoreCapMs: 5_000,
}

/**
 * Contenders of the long stream, in an order that lets two lanes finish together. Automerge runs
 * about 10× slower per update, so it gets the shorter budget and stops where it ends (the report
 * says where). Raw Yjs is left out: its document grows as DiffStream's without compaction does
 * (the core suite compares the two), and a million updates of it would take another minute and a half.
 */
const CONTENDERS: ReadonlyArray<{ id: string; slow?: boolean }> = [
  { id: 'diffstream-no-compaction' },
  { id: 'diffstream' },
  { id: 'automerge', slow: true },
  { id: 'loro' },
  { id: 'full-json' },
]

const AUCTIONS = 100
/** The table's columns: the issue's 10k, 100k and 1M. */
const HEADLINE = [1e4, 1e5, 1e6]

interface Stream {
  id: string
  name: string
  baseline: MemoryPoint | null
  points: MemoryPoint[]
  end: 'complete' | 'budget' | 'error'
  error: string | null
  budgetMs: number
  wallS: number
}

const MB = 1e6
const retained = (p: MemoryPoint): number => p.heapUsed + p.external

function runChild(id: string, job: MemoryJob): Promise<Stream> {
  const stream: Stream = {
    id,
    name: id,
    baseline: null,
    points: [],
    end: 'error',
    error: null,
    budgetMs: job.budgetMs,
    wallS: 0,
  }
  const t0 = performance.now()
  return new Promise((resolve) => {
    const child: ChildProcess = fork(new URL('./memory/child.ts', import.meta.url), [], {
      execArgv: ['--expose-gc', '--import', import.meta.resolve('tsx')],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    // A child that stops reporting (stuck, or swapping) is killed; checkpoints arrive at least this often.
    const silenceMs = job.budgetMs + job.restoreCapMs + 60_000
    let timer = setTimeout(() => child.kill('SIGKILL'), silenceMs)
    child.on('message', (msg: ChildReport) => {
      clearTimeout(timer)
      timer = setTimeout(() => child.kill('SIGKILL'), silenceMs)
      switch (msg.type) {
        case 'ready':
          stream.name = msg.name
          stream.baseline = msg.baseline
          break
        case 'point':
          stream.points.push(msg.point)
          console.error(
            `  ${stream.name}: ${msg.point.updates} updates, ${fmt(retained(msg.point) / MB, 1)} MB, state ${fmt(msg.point.stateBytes / 1000, 1)} KB`,
          )
          break
        case 'done':
          stream.end = msg.reason
          break
        case 'error':
          stream.error = msg.message
          break
        case 'exit':
          break
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (stream.end === 'error' && stream.error === null) stream.error = `exited (code ${code}, signal ${signal})`
      stream.wallS = (performance.now() - t0) / 1000
      resolve(stream)
    })
    child.send(job)
  })
}

/** Runs the jobs `lanes` at a time, in order. */
async function runAll(config: MemoryConfig, seed: number): Promise<Stream[]> {
  const queue = CONTENDERS.map((c, i) => ({ ...c, i }))
  const out: Stream[] = new Array<Stream>(queue.length)
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      out[next.i] = await runChild(next.id, {
        contender: next.id,
        auctions: AUCTIONS,
        updates: config.updates,
        seed: seed + 1,
        checkpoints: config.checkpoints,
        catchUpAt: config.catchUpAt,
        budgetMs: next.slow ? config.slowBudgetMs : config.budgetMs,
        restoreCapMs: config.restoreCapMs,
      })
    }
  }
  await Promise.all(Array.from({ length: config.lanes }, lane))
  return out
}

const at = (s: Stream, n: number): MemoryPoint | undefined => s.points.find((p) => p.updates === n)

function kb(v: number): string {
  return v >= 1e6 ? `${fmt(v / 1e6, 2)} MB` : `${fmt(v / 1e3, 1)} KB`
}

function summary(streams: readonly Stream[], columns: readonly number[], config: MemoryConfig): string {
  const head = columns.map((n) => `after ${n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`}`)
  const reached = (s: Stream, n: number, f: (p: MemoryPoint) => string): string => {
    const p = at(s, n)
    if (p) return f(p)
    const last = s.points.at(-1)
    if (s.end !== 'budget' || !last) return 'n/a'
    return `stopped at ${fmt(last.updates / 1000, 0)}k ²: ${f(last)}`
  }
  const memory = markdownTable(
    ['memory (JS heap + external, MB, after GC) ¹', 'at start', ...head],
    streams.map((s) => [
      s.name,
      s.baseline ? fmt(retained(s.baseline) / MB, 1) : 'n/a',
      ...columns.map((n) => reached(s, n, (p) => fmt(retained(p) / MB, 1))),
    ]),
    ['left', ...Array<'right'>(columns.length + 1).fill('right')],
  )
  const state = markdownTable(
    ['state a newcomer needs; its restore time', ...head],
    streams.map((s) => [
      s.name,
      ...columns.map((n) =>
        reached(
          s,
          n,
          (p) =>
            `${kb(p.stateBytes)}${p.restoreMs !== null ? `; ${fmt(p.restoreMs, 1)} ms` : config.catchUpAt.includes(p.updates) ? '; not timed ³' : ''}`,
        ),
      ),
    ]),
    ['left', ...Array<'right'>(columns.length).fill('right')],
  )
  return [memory, '', state].join('\n')
}

function charts(streams: readonly Stream[], note: string): Chart[] {
  const series = (f: (p: MemoryPoint) => number): LineSeries[] =>
    streams.map((s) => ({
      name: s.name,
      points: s.points.map((p) => [p.updates, f(p)] as const),
      dashed: s.id === 'full-json',
    }))
  const loro = streams.find((s) => s.id === 'loro')
  const stateSeries = series((p) => p.stateBytes)
  if (loro)
    stateSeries.push({
      name: 'Loro shallow snapshot (history trimmed)',
      points: loro.points.filter((p) => p.compactStateBytes !== null).map((p) => [p.updates, p.compactStateBytes!]),
      dashed: true,
    })
  const line = (name: string, title: string, yLabel: string, s: LineSeries[], logY: boolean): Chart => ({
    name,
    title,
    svg: lineChartSvg({ title, xLabel: 'updates', yLabel, series: s, logX: true, logY, note }),
  })
  return [
    line(
      'memory-over-time',
      'Producer memory over the auction stream (JS heap + external, after GC)',
      'MB',
      series((p) => retained(p) / MB),
      true,
    ),
    line('state-over-time', 'State a newcomer needs over the auction stream', 'bytes', stateSeries, true),
    line(
      'produce-cpu-over-time',
      'Producer µs per update along the stream (two contenders at a time)',
      'µs per update',
      series((p) => p.usPerUpdate),
      true,
    ),
  ]
}

function detail(streams: readonly Stream[]): string {
  const rows = streams.flatMap((s) =>
    [s.baseline, ...s.points]
      .filter((p): p is MemoryPoint => p !== null)
      .map((p) => [
        s.name,
        String(p.updates),
        fmt(p.heapUsed / MB, 1),
        fmt(p.external / MB, 1),
        fmt(p.rss / MB, 0),
        kb(p.stateBytes),
        p.compactStateBytes === null ? '' : kb(p.compactStateBytes),
        fmt(p.encodeMs, 1),
        p.restoreMs === null ? '' : fmt(p.restoreMs, 1),
        Number.isFinite(p.usPerUpdate) ? fmt(p.usPerUpdate, 1) : '',
        fmt(p.elapsedS, 1),
      ]),
  )
  return markdownTable(
    [
      'Contender',
      'updates',
      'JS heap MB',
      'external MB',
      'RSS MB',
      'state',
      'shallow state',
      'encode ms',
      'restore ms',
      'µs/update',
      'elapsed s',
    ],
    rows,
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  )
}

/** Compaction's promise, checked on the DiffStream stream: state and memory follow the live data, not the history. */
function compactionChecks(streams: readonly Stream[]): Check[] {
  const ds = streams.find((s) => s.id === 'diffstream')
  const off = streams.find((s) => s.id === 'diffstream-no-compaction')
  const early = ds && at(ds, 1e4)
  const last = ds?.points.at(-1)
  if (!ds || !early || !last) return []
  const n = last.updates
  const offLast = off?.points.find((p) => p.updates === n)
  return [
    {
      goal: `DiffStream (compaction on): the state a newcomer needs after ${n} updates ≤ 2× the state after 10 000`,
      pass: last.stateBytes <= 2 * early.stateBytes,
      detail:
        `${kb(last.stateBytes)} vs ${kb(early.stateBytes)}` +
        (offLast ? `; with compaction: false ${kb(offLast.stateBytes)}` : ''),
    },
    {
      goal: `DiffStream (compaction on): producer memory after ${n} updates ≤ 1.5× the memory after 10 000`,
      pass: retained(last) <= 1.5 * retained(early),
      detail:
        `${fmt(retained(last) / MB, 1)} MB vs ${fmt(retained(early) / MB, 1)} MB (JS heap + external after GC)` +
        (offLast ? `; with compaction: false ${fmt(retained(offLast) / MB, 1)} MB` : ''),
    },
  ]
}

export const memorySuite: Suite = {
  name: 'memory',
  description:
    'memory and state size over a long auction stream (1M updates), DiffStream with and without compaction next to Automerge, Loro and full JSON',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : DEFAULT
    const machine = machineInfo(['@diffstream/core', 'yjs', '@automerge/automerge', 'loro-crdt'])
    const t0 = performance.now()
    const streams = await runAll(config, options.seed)
    machine['loadAvgAfter'] = loadavg()
    const columns = options.quick ? [1e4, config.updates] : HEADLINE
    const note = `${options.quick ? 'smoke run (--quick), ' : ''}producer side, each contender in its own process · ${String(machine['date']).slice(0, 10)}`
    const chartList = charts(streams, note)
    const links = chartLinks(chartList, options.quick ? '-quick' : '')
    const stopped = streams.filter((s) => s.end === 'budget')
    const failed = streams.filter((s) => s.end === 'error')
    const notes = [
      '¹ After two full GCs. JS heap = `heapUsed`; external = memory V8 tracks outside its heap, which includes the ' +
        "WebAssembly memory where Loro and Automerge keep their documents (WASM memory grows and is never returned, so it shows a peak). The process's own baseline (Node, the generator holding the 100 current records) is the full JSON line; " +
        'JSON Patch and jsondiffpatch keep one more copy of the live records (35 KB here), so they are not run.',
      ...(stopped.length > 0
        ? [
            `² Stopped by its time budget (${stopped.map((s) => `${s.name}: ${s.points.at(-1)?.updates ?? 0} updates in ${fmt(s.wallS, 0)} s, budget ${fmt(s.budgetMs / 1000, 0)} s`).join('; ')}).`,
          ]
        : []),
      ...(streams.some((s) => s.points.some((p) => config.catchUpAt.includes(p.updates) && p.restoreMs === null))
        ? [
            `³ Not timed: the previous catch-up predicted (per state byte) more than ${config.restoreCapMs / 1000} s, or less than that was left of the budget.`,
          ]
        : []),
      ...failed.map((s) => `**${s.name} failed**: ${s.error ?? 'unknown error'}`),
    ]
    const head = summary(streams, columns, config)
    const checks = compactionChecks(streams)
    const markdown = [
      '# Memory benchmark: memory and state size over a long stream',
      '',
      `${String(machine['date'])} · Node ${String(machine['node'])} · ${String(machine['cpuModel'])} × ${String(machine['cpuCount'])} · ` +
        `the auction stream (${AUCTIONS} lots, one \`last_bid\` replaced per update), ${config.updates} updates, ` +
        `${config.lanes} contenders at a time, each in its own process (\`--expose-gc\`) · suite took ${fmt((performance.now() - t0) / 1000, 0)} s`,
      '',
      ...(options.quick ? ['**Smoke run (`--quick`)**: 50 000 updates, short budgets.', ''] : []),
      head,
      '',
      ...notes,
      '',
      'State = the bytes a newcomer needs to hold the whole dict: DiffStream `retran` (with compaction, the current epoch only), ' +
        'raw Yjs `encodeStateAsUpdate`, Automerge `save`, Loro `export({mode: "snapshot"})`, full JSON all records. ' +
        `Restore = a fresh consumer applying it, then checked against the records (at ${config.catchUpAt.map((n) => `${n / 1000}k`).join(', ')} updates, where the budget allowed).`,
      '',
      links,
      '',
      '## Every checkpoint',
      '',
      detail(streams),
      '',
      'µs/update: producer wall time per update since the previous checkpoint (two processes share the 2 cores, so read it as a trend, not as CPU cost: the core suite measures that). ' +
        'Loro\'s "shallow state" is `export({mode: "shallow-snapshot"})` at the current version: Loro\'s own way of trimming history.',
      '',
      '## Goals',
      '',
      ...checks.map((c) => `- ${checkLine(c)}`),
      '',
    ].join('\n')
    const data: Record<string, unknown> = {
      suite: 'memory',
      machine,
      config: { ...config, quick: options.quick, seed: options.seed, auctions: AUCTIONS, side: 'producer' },
      streams,
      checks,
    }
    return { markdown, data, checks, summary: [head, '', ...notes, '', links].join('\n'), charts: chartList }
  },
}
