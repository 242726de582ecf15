import { loadavg } from 'node:os'
import { startSignalingServer } from '@diffstream/signaling'
import { barChartSvg, chartLinks, lineChartSvg, type Chart } from './charts.js'
import { fmt, machineInfo, markdownTable } from './report.js'
import { PeerProcess } from './rooms/child.js'
import { OtherLoad } from './rooms/load.js'
import type { Schedule } from './rooms/protocol.js'
import { LOTS } from './rooms/records.js'
import { summarize, type Summary } from './rooms/stats.js'
import { Retrier } from './rooms/retrier.js'
import { itemize, type Block } from './rooms/stream.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'

/*
 * `fanout`: one producer → 1, 4 and 8 consumers over real WebRTC, every peer in its own process
 * (the rooms suite's `rooms/peer.ts`), on this machine's cores. Per consumer count: latency
 * p50/p99 at fixed rates and the highest sustained rate, for a DiffStream room and, in the same
 * processes and the same run, for raw data channels (the producer sends each item on one
 * simple-peer channel per consumer).
 */

interface FanoutConfig {
  consumers: number[]
  /** Fixed rates (updates/s) measured for latency, each for `fixedMs`. */
  fixedRates: number[]
  fixedMs: number
  /** The ladder the highest-sustained search walks, up from the fixed rates or down from them. */
  ladder: number[]
  rampMs: number
  warmupMs: number
  rawPayloadBytes: number
  /** Wall time the suite may spend waiting for other processes to calm down and measuring runs again. */
  retryBudgetMs: number
}

const DEFAULT: FanoutConfig = {
  consumers: [1, 4, 8],
  fixedRates: [100, 500, 1000],
  fixedMs: 1500,
  ladder: [50, 100, 250, 500, 1000, 2000, 5000, 10_000, 20_000],
  rampMs: 1000,
  warmupMs: 1500,
  rawPayloadBytes: 64,
  retryBudgetMs: 20_000,
}
const QUICK: FanoutConfig = {
  consumers: [1, 4],
  fixedRates: [500],
  fixedMs: 500,
  ladder: [],
  rampMs: 500,
  warmupMs: 500,
  rawPayloadBytes: 64,
  retryBudgetMs: 3_000,
}

/** As the rooms suite: a rate is sustained when ≥ 95% of it is sent, nothing is lost and p99 ≤ 50 ms. */
const SUSTAINED_P99_MS = 50
/** Pause after a run that was not sustained, so its backlog drains before the next one. */
const DRAIN_MS = 1500

type Kind = 'room' | 'raw'

interface Run {
  kind: Kind
  consumers: number
  targetRate: number
  achievedRate: number
  count: number
  /** Over every (consumer, item) pair. */
  latencyMs: Summary
  /** p99 of each consumer, ms: does the tail come from one of them? */
  consumerP99Ms: number[]
  lost: number
  coalesced: number
  /** Bytes the producer sent per update, all links together. */
  wireBytesPerUpdate: number
  producerCpu: number
  consumerCpuMean: number
  otherLoad: number | null
  sustained: boolean
}

interface FanoutCase {
  consumers: number
  connectMs: number
  fixed: Run[]
  ramp: Run[]
  highest: Record<Kind, number | null>
  /** Attempts with fresh processes (a peer process can die inside @roamhq/wrtc); the last one's error if all failed. */
  attempts: number
  error: string | null
}

let seqCounter = 1_000_000_000
function schedule(rate: number, ms: number): Schedule {
  const count = Math.max(20, Math.round((rate * ms) / 1000))
  const s: Schedule = { count, periodUs: 1e6 / rate, firstSeq: seqCounter, pacing: 'sleep' }
  seqCounter += count
  return s
}

interface Ctx {
  producer: PeerProcess
  consumers: PeerProcess[]
  load: OtherLoad
  /** As in the rooms suite: waits for a quiet moment and measures again a run others were busy during, within a budget. */
  retrier: Retrier
}

function aggregate(kind: Kind, n: number, rate: number, blocks: readonly Block[], wireBytes: number): Run {
  const latencies = new Float64Array(blocks.reduce((a, b) => a + b.n, 0))
  let o = 0
  for (const b of blocks) {
    latencies.set(b.latMs, o)
    o += b.n
  }
  const first = blocks[0]!
  const lost = blocks.reduce((a, b) => a + b.lost, 0)
  const latencyMs = summarize(latencies)
  const achievedRate = (first.n - 1) / first.spanS
  const loads = blocks.map((b) => b.otherLoad).filter((v): v is number => v !== null)
  return {
    kind,
    consumers: n,
    targetRate: rate,
    achievedRate,
    count: first.n,
    latencyMs,
    consumerP99Ms: blocks.map((b) => summarize(b.latMs).p99),
    lost,
    coalesced: blocks.reduce((a, b) => a + b.coalesced, 0),
    wireBytesPerUpdate: wireBytes / first.n,
    producerCpu: first.sender.cpuMs / first.sender.wallMs,
    consumerCpuMean: blocks.reduce((a, b) => a + b.receiver.cpuMs / b.receiver.wallMs, 0) / blocks.length,
    otherLoad: loads.length > 0 ? loads[0]! : null,
    sustained: achievedRate >= 0.95 * rate && lost === 0 && latencyMs.p99 <= SUSTAINED_P99_MS,
  }
}

function roomRun(ctx: Ctx, room: string, n: number, rate: number, ms: number): Promise<Run> {
  return ctx.retrier.run(`room 1 → ${n} at ${rate}/s`, () => roomRunOnce(ctx, room, n, rate, ms))
}

function rawRun(ctx: Ctx, n: number, rate: number, ms: number, payloadBytes: number): Promise<Run> {
  return ctx.retrier.run(`raw 1 → ${n} at ${rate}/s`, () => rawRunOnce(ctx, n, rate, ms, payloadBytes))
}

async function roomRunOnce(ctx: Ctx, room: string, n: number, rate: number, ms: number): Promise<Run> {
  const { producer, consumers, load } = ctx
  const active = consumers.slice(0, n)
  const s = schedule(rate, ms)
  await Promise.all(active.map((c) => c.ask({ op: 'listen', room, schedule: s }, 'ok')))
  const before = (await producer.ask({ op: 'traffic', room }, 'traffic')).traffic
  const l0 = load.sample()
  const sent = await producer.ask({ op: 'produce', room, schedule: s }, 'produce', 30_000 + (s.count / rate) * 2000)
  const got = await Promise.all(active.map((c) => c.ask({ op: 'collect', room, waitMs: 3000 }, 'collect', 20_000)))
  const otherLoad = load.between(l0, load.sample())
  const wire = sent.traffic.bytesSent - before.bytesSent
  const blocks = got.map((g) => itemize(sent.log, g.log, otherLoad, wire, LOTS))
  return aggregate('room', n, rate, blocks, wire)
}

async function rawRunOnce(ctx: Ctx, n: number, rate: number, ms: number, payloadBytes: number): Promise<Run> {
  const { producer, consumers, load } = ctx
  const active = consumers.slice(0, n)
  const s = schedule(rate, ms)
  await Promise.all(active.map((c) => c.ask({ op: 'raw-listen', schedule: s }, 'ok')))
  const l0 = load.sample()
  const sent = await producer.ask(
    { op: 'raw-send', schedule: s, payloadBytes, via: 'send' },
    'raw-send',
    30_000 + (s.count / rate) * 2000,
  )
  const got = await Promise.all(active.map((c) => c.ask({ op: 'raw-collect', waitMs: 3000 }, 'raw-collect', 20_000)))
  const otherLoad = load.between(l0, load.sample())
  const wire = s.count * payloadBytes * n
  const blocks = got.map((g) => itemize(sent.log, g.log, otherLoad, wire, 0))
  return aggregate('raw', n, rate, blocks, wire)
}

const perSecond = (rate: number | null): string => (rate === null ? 'none' : `${rate}/s`)

/**
 * The goals of issue 12: the room's highest sustained rate at least 80% of the raw channels' in the
 * same run, and its p99 at 500/s at most twice theirs.
 */
function goalChecks(c: FanoutCase, cores: number): Check[] {
  const failed = `not measured: ${c.attempts} attempts failed (${c.error?.split('\n')[0] ?? ''})`
  const { room, raw } = c.highest
  const at500 = (kind: Kind): Run | undefined => c.fixed.find((r) => r.kind === kind && r.targetRate === 500)
  const r500 = at500('room')
  const w500 = at500('raw')
  return [
    {
      goal: `1 → ${c.consumers}: the room's highest sustained rate ≥ 80% of the raw data channels'`,
      pass: c.error === null && room !== null && raw !== null && room >= 0.8 * raw,
      detail:
        c.error !== null
          ? failed
          : `room ${perSecond(room)}, raw data channels ${perSecond(raw)}` +
            (room !== null && raw !== null ? ` (${fmt((100 * room) / raw, 0)}%)` : '') +
            ` (${c.consumers + 1} processes on ${cores} cores)`,
    },
    {
      goal: `1 → ${c.consumers}: the room's p99 at 500/s ≤ 2× the raw data channels'`,
      pass: r500 !== undefined && w500 !== undefined && r500.latencyMs.p99 <= 2 * w500.latencyMs.p99,
      detail:
        r500 && w500
          ? `room ${ms(r500.latencyMs.p99)} ms, raw ${ms(w500.latencyMs.p99)} ms`
          : c.error !== null
            ? failed
            : 'not measured',
    },
  ]
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Opens one raw channel from the producer to each of the first `n` consumers. */
async function openRaw(ctx: Ctx, n: number): Promise<void> {
  const { producer, consumers } = ctx
  const active = consumers.slice(0, n)
  producer.onSignal = (data, link) => {
    const i = Number(link.slice(1))
    void active[i]?.request({ op: 'raw-signal', data }).catch(() => undefined)
  }
  active.forEach((c, i) => {
    c.onSignal = (data) => void producer.request({ op: 'raw-signal', data, link: `c${i}` }).catch(() => undefined)
  })
  await Promise.all([
    ...active.map((_, i) => producer.ask({ op: 'raw-open', initiator: true, link: `c${i}` }, 'ok', 30_000)),
    ...active.map((c) => c.ask({ op: 'raw-open', initiator: false }, 'ok', 30_000)),
  ])
}

/**
 * The highest sustained rate on the ladder: up from the highest sustained fixed rate, or down
 * from the lowest fixed rate when none was sustained; each step stops at the first change of verdict.
 */
async function findHighest(
  fixed: readonly Run[],
  ladder: readonly number[],
  measure: (rate: number) => Promise<Run>,
): Promise<{ runs: Run[]; highest: number | null }> {
  const runs: Run[] = []
  const ok = fixed.filter((r) => r.sustained).map((r) => r.targetRate)
  if (ladder.length === 0) return { runs, highest: ok.length > 0 ? Math.max(...ok) : null }
  if (ok.length > 0) {
    let best = Math.max(...ok)
    for (const rate of ladder.filter((r) => r > best)) {
      const run = await measure(rate)
      runs.push(run)
      if (!run.sustained) break
      best = rate
    }
    return { runs, highest: best }
  }
  const lowest = Math.min(...fixed.map((r) => r.targetRate))
  for (const rate of ladder.filter((r) => r < lowest).reverse()) {
    const run = await measure(rate)
    runs.push(run)
    if (run.sustained) return { runs, highest: rate }
  }
  return { runs, highest: null }
}

async function measureCase(ctx: Ctx, n: number, config: FanoutConfig): Promise<FanoutCase> {
  const { producer, consumers } = ctx
  const room = `bench-fanout-${n}`
  const t0 = performance.now()
  await producer.ask({ op: 'join', room, role: 'producer' }, 'ok')
  const active = consumers.slice(0, n)
  for (const c of active) await c.ask({ op: 'join', room, role: 'consumer' }, 'ok')
  // Rooms form a full mesh: each consumer also links to the other consumers.
  await Promise.all([
    producer.ask({ op: 'wait-peers', room, peers: n, timeoutMs: 60_000 }, 'ok', 70_000),
    ...active.map((c) => c.ask({ op: 'wait-peers', room, peers: n, timeoutMs: 60_000 }, 'ok', 70_000)),
  ])
  await openRaw(ctx, n)
  const connectMs = performance.now() - t0
  console.error(`  ${n} consumer(s): room and ${n} raw channel(s) connected in ${fmt(connectMs / 1000, 1)} s`)

  await rawRunOnce(ctx, n, 1000, config.warmupMs / 2, config.rawPayloadBytes)
  await roomRunOnce(ctx, room, n, Math.min(1000, config.fixedRates[0] ?? 1000), config.warmupMs)
  const settle = async (r: Run): Promise<Run> => {
    if (!r.sustained) await sleep(DRAIN_MS)
    return r
  }
  const fixed: Run[] = []
  for (const rate of config.fixedRates) {
    fixed.push(await settle(await rawRun(ctx, n, rate, config.fixedMs, config.rawPayloadBytes)))
    fixed.push(await settle(await roomRun(ctx, room, n, rate, config.fixedMs)))
  }
  const byKind = (k: Kind): Run[] => fixed.filter((r) => r.kind === k)
  const room_ = await findHighest(byKind('room'), config.ladder, async (rate) =>
    settle(await roomRun(ctx, room, n, rate, config.rampMs)),
  )
  const raw = await findHighest(byKind('raw'), config.ladder, async (rate) =>
    settle(await rawRun(ctx, n, rate, config.rampMs, config.rawPayloadBytes)),
  )
  await Promise.all([
    producer.ask({ op: 'leave', room }, 'ok'),
    ...active.map((c) => c.ask({ op: 'leave', room }, 'ok')),
    producer.ask({ op: 'raw-close' }, 'ok'),
    ...active.map((c) => c.ask({ op: 'raw-close' }, 'ok')),
  ])
  console.error(
    `  ${n} consumer(s): highest sustained room ${perSecond(room_.highest)}, raw ${perSecond(raw.highest)} in ${fmt((performance.now() - t0) / 1000, 1)} s`,
  )
  return {
    consumers: n,
    connectMs,
    fixed,
    ramp: [...room_.runs, ...raw.runs],
    highest: { room: room_.highest, raw: raw.highest },
    attempts: 1,
    error: null,
  }
}

const ATTEMPTS = 2

/**
 * One consumer count with its own peer processes (producer + n consumers), started for it and
 * stopped after it, so that a process that dies (wrtc has segfaulted here) costs one attempt, not the suite.
 */
async function runCase(
  serverUrl: string,
  n: number,
  config: FanoutConfig,
  retrier: Retrier,
  pids: Array<number | undefined>,
  warnings: string[],
): Promise<FanoutCase> {
  let error = ''
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const t0 = performance.now()
    const producer = new PeerProcess('producer', serverUrl)
    const consumers = Array.from({ length: n }, (_, i) => new PeerProcess(`consumer-${i + 1}`, serverUrl))
    const all = [producer, ...consumers]
    pids.splice(1, pids.length, ...all.map((p) => p.pid))
    try {
      // Every process answers once it has loaded (tsx, wrtc, core) before anything is timed.
      await Promise.all(all.map((p) => p.ask({ op: 'clock' }, 'clock', 60_000)))
      console.error(`  ${n + 1} peer processes started in ${fmt((performance.now() - t0) / 1000, 1)} s`)
      const result = await measureCase({ producer, consumers, load: retrier.load, retrier }, n, config)
      return { ...result, attempts: attempt }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err)
      console.error(`  1 → ${n}: attempt ${attempt} failed: ${error.split('\n')[0]}`)
    } finally {
      warnings.push(...all.flatMap((p) => p.warnings.map((w) => `1 → ${n}, ${p.label}: ${w}`)))
      await Promise.all(all.map((p) => p.stop()))
      pids.splice(1, pids.length)
    }
  }
  return {
    consumers: n,
    connectMs: NaN,
    fixed: [],
    ramp: [],
    highest: { room: null, raw: null },
    attempts: ATTEMPTS,
    error,
  }
}

// --- report ----------------------------------------------------------------------------------------

const ms = (v: number): string => fmt(v, v < 10 ? 2 : 1)
const pct = (v: number | null): string => (v === null ? '?' : `${fmt(100 * v, 0)}%`)
const rateLabel = (r: number): string => (r >= 1000 ? `${r / 1000}k/s` : `${r}/s`)

function summaryTable(cases: readonly FanoutCase[], rates: readonly number[], ramped: boolean): string {
  const cell = (c: FanoutCase, kind: Kind, rate: number): string => {
    const r = c.fixed.find((x) => x.kind === kind && x.targetRate === rate)
    if (!r) return 'n/a'
    return `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)}${r.sustained ? '' : ' ✗'}`
  }
  const rows = cases.flatMap((c) =>
    (['room', 'raw'] as const).map((kind) =>
      c.error !== null
        ? [
            `1 → ${c.consumers}: ${kind === 'room' ? 'DiffStream room' : 'raw data channels'}`,
            ...rates.map(() => ''),
            `failed (${c.attempts} attempts): ${c.error.split('\n')[0]!.slice(0, 80)}`,
          ]
        : [
            kind === 'room' ? `1 → ${c.consumers}: DiffStream room` : `1 → ${c.consumers}: raw data channels`,
            ...rates.map((r) => cell(c, kind, r)),
            ramped || c.highest[kind] !== null ? (c.highest[kind] === null ? 'none' : `${c.highest[kind]}/s`) : 'n/a',
          ],
    ),
  )
  return markdownTable(
    ['producer → consumers', ...rates.map((r) => `p50 / p99 ms at ${rateLabel(r)}`), 'highest sustained'],
    rows,
    ['left', ...rates.map((): 'right' => 'right'), 'right'],
  )
}

function runRows(runs: readonly Run[]): string[][] {
  return runs.map((r) => [
    String(r.consumers),
    r.kind,
    String(r.targetRate),
    fmt(r.achievedRate, 0),
    ms(r.latencyMs.p50),
    ms(r.latencyMs.p90),
    ms(r.latencyMs.p99),
    ms(r.latencyMs.max),
    r.consumerP99Ms.map((v) => ms(v)).join(', '),
    `${r.lost} / ${r.coalesced}`,
    fmt(r.wireBytesPerUpdate, 0),
    `${pct(r.producerCpu)} / ${pct(r.consumerCpuMean)}`,
    pct(r.otherLoad),
    r.sustained ? 'yes' : 'no',
  ])
}

function charts(cases: readonly FanoutCase[], rates: readonly number[], note: string): Chart[] {
  const groups = cases.map((c) => `1 → ${c.consumers}`)
  const latencySeries = rates.flatMap((rate) =>
    (['room', 'raw'] as const).flatMap((kind) =>
      (['p50', 'p99'] as const).map((q) => ({
        name: `${kind === 'room' ? 'room' : 'raw'} ${q} at ${rateLabel(rate)}`,
        values: cases.map((c) => c.fixed.find((r) => r.kind === kind && r.targetRate === rate)?.latencyMs[q] ?? null),
      })),
    ),
  )
  const list: Chart[] = [
    {
      name: 'fanout-latency',
      title: 'WebRTC fan-out latency, producer → every consumer',
      svg: barChartSvg({
        title: 'WebRTC fan-out latency, producer → every consumer',
        yLabel: 'ms',
        groups,
        series: latencySeries,
        log: true,
        note,
      }),
    },
  ]
  if (cases.some((c) => c.ramp.length > 0))
    list.push({
      name: 'fanout-highest-rate',
      title: 'Highest sustained rate by number of consumers',
      svg: lineChartSvg({
        title: 'Highest sustained rate by number of consumers',
        xLabel: 'consumers',
        yLabel: 'updates per second',
        series: (['room', 'raw'] as const).map((kind) => ({
          name: kind === 'room' ? 'DiffStream room' : 'raw data channels',
          points: cases.filter((c) => c.highest[kind] !== null).map((c) => [c.consumers, c.highest[kind]!] as const),
        })),
        logY: true,
        note: `${note}; sustained = ≥ 95% of the rate sent, nothing lost, p99 ≤ ${SUSTAINED_P99_MS} ms`,
      }),
    })
  return list
}

export const fanoutSuite: Suite = {
  name: 'fanout',
  description:
    'WebRTC fan-out: 1 producer → 1, 4, 8 consumers (one process each): latency at fixed rates and the highest sustained rate, next to raw data channels',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : DEFAULT
    const machine = machineInfo(['@diffstream/core', 'yjs', 'simple-peer', '@roamhq/wrtc'])
    const server = await startSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
    const max = Math.max(...config.consumers)
    const pids: Array<number | undefined> = [process.pid]
    const retrier = new Retrier(config.retryBudgetMs, new OtherLoad(() => pids))
    const warnings: string[] = []
    try {
      const cases: FanoutCase[] = []
      for (const n of config.consumers) cases.push(await runCase(server.url, n, config, retrier, pids, warnings))
      machine['loadAvgAfter'] = loadavg()
      const note = `${options.quick ? 'smoke run (--quick), ' : ''}${String(machine['cpuModel'])} × ${String(machine['cpuCount'])}, every peer its own process · ${String(machine['date']).slice(0, 10)}`
      const chartList = charts(cases, config.fixedRates, note)
      const links = chartLinks(chartList, options.quick ? '-quick' : '')
      const head = summaryTable(cases, config.fixedRates, config.ladder.length > 0)
      const cores = Number(machine['cpuCount'])
      const explain =
        `✗ = that rate was not sustained (under 95% sent, something lost, or p99 over ${SUSTAINED_P99_MS} ms). ` +
        `The producer and its consumers, each its own process, share this machine's ${cores} cores, so with 4 and 8 consumers the consumers' own CPU, ` +
        'not the network, sets the limit: the figures say what one machine hosting every peer sustains, not what separate machines would. ' +
        "A room of up to 9 peers is a full mesh: each consumer also links to the others, but updates travel along the writer's broadcast tree, straight from the producer, and consumers send each other only digests (docs/rooms.md). " +
        'Above about 1 000/s a room sends the updates due in one tick as one message (and the consumer sees only the latest of a lot), while the raw channels send one message per item, so a room can sustain a higher rate than its raw channels. ' +
        'The highest sustained rate comes from the ramp, a second set of runs: a fixed-rate run can fail where a ramp run of the same rate passed when other processes were busy (see "other load" in the full report).'
      const checks: Check[] = cases.flatMap((c) => goalChecks(c, cores))
      const markdown = [
        '# Fan-out benchmark: one producer, many consumers over WebRTC',
        '',
        `${String(machine['date'])} · Node ${String(machine['node'])} · ${String(machine['cpuModel'])} × ${cores} · ` +
          `load average before ${(machine['loadAvgBefore'] as number[]).map((v) => v.toFixed(2)).join(' ')} · ` +
          `fresh peer processes per consumer count (producer + up to ${max} consumers), signaling in the parent, loopback ICE candidates only`,
        '',
        ...(options.quick
          ? ['**Smoke run (`--quick`)**: 1 and 4 consumers, one short run per rate, no ramp.', '']
          : []),
        head,
        '',
        explain,
        '',
        links,
        '',
        '## Every run',
        '',
        markdownTable(
          [
            'consumers',
            'path',
            'target /s',
            'achieved /s',
            'p50 ms',
            'p90 ms',
            'p99 ms',
            'max ms',
            'p99 per consumer ms',
            'lost / coalesced',
            'producer B per update',
            'CPU producer / consumer (mean)',
            'other load',
            'sustained',
          ],
          runRows(cases.flatMap((c) => [...c.fixed, ...c.ramp])),
          [
            'right',
            'left',
            'right',
            'right',
            'right',
            'right',
            'right',
            'right',
            'left',
            'right',
            'right',
            'right',
            'right',
            'left',
          ],
        ),
        '',
        'Latency: from just before `room.cache.update()` (raw: `send()`) in the producer process to the `change` event ' +
          "(raw: `data` event) in each consumer's process, on the machine-wide monotonic clock (see the rooms report), " +
          `over every (consumer, update) pair. The room's producer writes one of ${LOTS} auction lots per update (round robin), ` +
          'paced by `Atomics.wait`; updates due together leave as one message, and an update superseded within a batch counts as seen with the later one (coalesced). ' +
          `Raw: the producer sends each item (${config.rawPayloadBytes} B) on one simple-peer channel per consumer, on the same schedule. ` +
          'Fixed rates run for ' +
          `${config.fixedMs / 1000} s each, raw and room alternating; the ramp runs ${config.rampMs / 1000} s per step. ` +
          'CPU = process CPU time / wall time (100% = one core).',
        ...(warnings.length > 0
          ? ['', '## Warnings from the peers', '', ...warnings.slice(0, 20).map((w) => `- ${w}`)]
          : []),
        '',
      ].join('\n')
      const data: Record<string, unknown> = {
        suite: 'fanout',
        machine,
        config: { ...config, quick: options.quick, sustainedP99Ms: SUSTAINED_P99_MS },
        cases,
        checks,
        warnings,
        retried: retrier.discarded,
      }
      return { markdown, data, checks, summary: [head, '', explain, '', links].join('\n'), charts: chartList }
    } finally {
      await server.close()
    }
  },
}
