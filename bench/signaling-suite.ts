import { loadavg } from 'node:os'
import { missing, startRedis, type Daemon } from '../test/helpers/daemon.js'
import { freePort } from '../test/helpers/free-port.js'
import { startSignalingProcess, type SignalingProcess } from '../test/helpers/signaling-process.js'
import { fmt, machineInfo, markdownTable } from './report.js'
import { SignalingLoad, type LoadRun } from './signaling/load.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'

/*
 * `signaling`: 1 000 simulated clients (WebSocket clients in this process, 100 rooms of 10) publish
 * announces at fixed total rates, against one signaling instance and against three instances
 * sharing a redis-server (clients spread round robin, so every room spans all three and every
 * publish crosses Redis). Per rate: announces delivered per second and the delivery latency.
 * Every server is a real process (the CLI, Debian's redis-server) on this machine's cores, which
 * the clients share.
 */

interface Config {
  clients: number
  topics: number
  /** Publishes per second, each delivered to the 10 subscribers of its room. */
  rates: number[]
  durationMs: number
  warmupMs: number
  /** Repetitions per rate and setup, interleaved (1, 3, 3, 1, …) so that other load hits both alike. */
  reps: number
}

const FULL: Config = {
  clients: 1000,
  topics: 100,
  rates: [500, 1000, 2000, 3000, 4000, 6000, 8000],
  durationMs: 2000,
  warmupMs: 500,
  reps: 3,
}
const QUICK: Config = { clients: 1000, topics: 100, rates: [500, 2000], durationMs: 1500, warmupMs: 500, reps: 1 }

/** Server flags: room for 1 000 clients and for their rate, quiet logs. */
const SERVER_ARGS = ['--max-connections', '5000', '--rate', '1000', '--burst', '2000', '--log-level', 'warn']

type Setup = '1 instance' | '3 instances + Redis'
const SETUPS: readonly Setup[] = ['1 instance', '3 instances + Redis']

interface Row {
  setup: Setup
  offeredPublishes: number
  /** Median over the repetitions. */
  deliveredPerSecond: number
  /** Over all repetitions. */
  deliveredRatio: number
  /** Over every delivery of every repetition. */
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Each repetition's throughput and p99, to show the spread. */
  reps: Array<{ deliveredPerSecond: number; p99Ms: number }>
}

interface ClusterCounts {
  publishedToRedis: number
  receivedFromRedis: number
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

function pool(setup: Setup, runs: LoadRun[]): Row {
  const all = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b)
  const delivered = runs.reduce((n, r) => n + r.delivered, 0)
  const expected = runs.reduce((n, r) => n + r.expected, 0)
  return {
    setup,
    offeredPublishes: runs[0]!.offeredRate,
    deliveredPerSecond: median(runs.map((r) => r.deliveredInWindow / r.seconds)),
    deliveredRatio: expected === 0 ? NaN : delivered / expected,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    maxMs: all.at(-1) ?? NaN,
    reps: runs.map((r) => {
      const sorted = [...r.latenciesMs].sort((a, b) => a - b)
      return { deliveredPerSecond: r.deliveredInWindow / r.seconds, p99Ms: percentile(sorted, 99) }
    }),
  }
}

async function clusterCounts(servers: SignalingProcess[]): Promise<ClusterCounts> {
  let publishedToRedis = 0
  let receivedFromRedis = 0
  for (const s of servers) {
    const h = (await (await fetch(`${s.httpUrl}/health`)).json()) as {
      cluster?: { published: number; received: number }
    }
    publishedToRedis += h.cluster?.published ?? 0
    receivedFromRedis += h.cluster?.received ?? 0
  }
  return { publishedToRedis, receivedFromRedis }
}

/** Both setups side by side: their clients connected at once, their runs interleaved. */
async function measureBoth(
  loads: Record<Setup, SignalingLoad>,
  config: Config,
): Promise<{ rows: Row[]; sentToCluster: number }> {
  let sentToCluster = 0
  const count = (setup: Setup, run: LoadRun): LoadRun => {
    if (setup !== '1 instance') sentToCluster += run.sentTotal
    return run
  }
  // A first short run lets every subscription reach Redis before anything is counted.
  for (const setup of SETUPS) count(setup, await loads[setup].measure(200, 500, 500))
  const rows: Row[] = []
  for (const rate of config.rates) {
    const runs: Record<Setup, LoadRun[]> = { '1 instance': [], '3 instances + Redis': [] }
    for (let rep = 0; rep < config.reps; rep++) {
      const order = rep % 2 === 0 ? SETUPS : [...SETUPS].reverse()
      for (const setup of order)
        runs[setup].push(count(setup, await loads[setup].measure(rate, config.durationMs, config.warmupMs)))
    }
    for (const setup of SETUPS) {
      const row = pool(setup, runs[setup])
      rows.push(row)
      console.error(
        `  ${setup} ${rate}/s: ${fmt(row.deliveredPerSecond, 0)} delivered/s, ` +
          `${fmt(100 * row.deliveredRatio, 2)}% delivered, p99 ${fmt(row.p99Ms, 2)} ms`,
      )
    }
  }
  return { rows, sentToCluster }
}

export const signalingSuite: Suite = {
  name: 'signaling',
  description: '1 000 simulated clients: announces delivered/s and p99 latency, 1 instance vs 3 over Redis',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : FULL
    const noRedis = missing('redis-server')
    if (noRedis) throw new Error(`the signaling suite needs ${noRedis}`)
    const machine = machineInfo(['ioredis', 'ws'])

    let redis: Daemon | undefined
    const servers: SignalingProcess[] = []
    const loads: Partial<Record<Setup, SignalingLoad>> = {}
    let rows: Row[]
    let counts: ClusterCounts
    let sent: number
    try {
      const single = await startSignalingProcess({ args: SERVER_ARGS })
      servers.push(single)
      const port = await freePort()
      redis = await startRedis(port)
      const cluster: SignalingProcess[] = []
      for (let i = 0; i < 3; i++)
        cluster.push(await startSignalingProcess({ args: [...SERVER_ARGS, '--redis', `redis://127.0.0.1:${port}`] }))
      servers.push(...cluster)
      const clients = { clients: config.clients, topics: config.topics }
      loads['1 instance'] = await SignalingLoad.connect({ ...clients, urls: [single.url] })
      loads['3 instances + Redis'] = await SignalingLoad.connect({ ...clients, urls: cluster.map((s) => s.url) })
      const before = await clusterCounts(cluster)
      const measured = await measureBoth(loads as Record<Setup, SignalingLoad>, config)
      const after = await clusterCounts(cluster)
      rows = measured.rows
      sent = measured.sentToCluster
      counts = {
        publishedToRedis: after.publishedToRedis - before.publishedToRedis,
        receivedFromRedis: after.receivedFromRedis - before.receivedFromRedis,
      }
    } finally {
      for (const load of Object.values(loads)) load.close()
      await Promise.all(servers.map((s) => s.stop()))
      await redis?.stop()
    }
    const one = rows.filter((r) => r.setup === '1 instance')
    const three = rows.filter((r) => r.setup !== '1 instance')
    const loadAfter = loadavg()

    const table = markdownTable(
      [
        'setup',
        'offered (publishes/s)',
        'announces delivered/s',
        'delivered by the end',
        'p50 ms',
        'p99 ms',
        'max ms',
        'each repetition: delivered/s, p99 ms',
      ],
      [...one, ...three]
        .sort((a, b) => a.offeredPublishes - b.offeredPublishes || a.setup.localeCompare(b.setup))
        .map((r) => [
          r.setup,
          String(r.offeredPublishes),
          fmt(r.deliveredPerSecond, 0),
          `${fmt(100 * r.deliveredRatio, 2)}%`,
          fmt(r.p50Ms, 2),
          fmt(r.p99Ms, 2),
          fmt(r.maxMs, 1),
          r.reps.map((x) => `${fmt(x.deliveredPerSecond, 0)}, ${fmt(x.p99Ms, 1)}`).join('; '),
        ]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    )
    const ratios = markdownTable(
      ['offered (publishes/s)', 'delivered/s: 3 over Redis ÷ 1', 'p99: 3 over Redis ÷ 1'],
      config.rates.map((rate) => {
        const a = one.find((r) => r.offeredPublishes === rate)!
        const b = three.find((r) => r.offeredPublishes === rate)!
        return [String(rate), fmt(b.deliveredPerSecond / a.deliveredPerSecond, 2), fmt(b.p99Ms / a.p99Ms, 2)]
      }),
      ['right', 'right', 'right'],
    )
    // `sent` counts every client publish of the cluster runs, warm-ups included, as Redis's counters do.
    const perPublish = counts.publishedToRedis / Math.max(1, sent)
    const lowest = config.rates[0]!
    const checks: Check[] = [
      {
        goal: `every announce delivered at ${lowest} publishes/s, 1 instance and 3 over Redis`,
        pass: [...one, ...three].filter((r) => r.offeredPublishes === lowest).every((r) => r.deliveredRatio >= 0.999),
        detail: [...one, ...three]
          .filter((r) => r.offeredPublishes === lowest)
          .map((r) => `${r.setup}: ${fmt(100 * r.deliveredRatio, 2)}%`)
          .join(', '),
      },
      {
        goal: 'a publish crosses Redis once (not once per remote subscriber)',
        pass: counts.publishedToRedis === sent,
        detail: `${counts.publishedToRedis} Redis publishes for ${sent} client publishes (${fmt(perPublish, 2)} each), each delivered to the 10 subscribers of its room; ${counts.receivedFromRedis} received from Redis by the other two instances`,
      },
    ]
    const markdown = [
      '# signaling: one instance against three over Redis',
      '',
      `${config.clients} simulated clients (WebSocket, in the benchmark process) in ${config.topics} rooms of ` +
        `${config.clients / config.topics}; each publish is an announce delivered to the ${config.clients / config.topics} ` +
        `subscribers of its room (the sender included, as y-webrtc's server does). With three instances the clients ` +
        `are spread round robin, so every room spans all three and every publish crosses Redis. Each rate runs ` +
        `${config.warmupMs / 1000} s unmeasured, then ${config.durationMs / 1000} s measured, ${config.reps} time(s) per ` +
        `setup, the setups interleaved (both are up and connected throughout; a run waits until the previous ` +
        `one's backlog has drained). "Announces delivered/s" (the median repetition) ` +
        `counts the deliveries received during the measured window (the throughput, which stops following the ` +
        `offered rate once a server saturates); "delivered by the end" is the share of the window's publishes ` +
        `delivered within 1.5 s after it; latency is send → delivery on one clock, over those. Servers, Redis ` +
        `and clients share the machine's ${String(machine.cpuCount)} cores (1/5/15-minute load average before: ` +
        `${(machine.loadAvgBefore as number[]).map((l) => l.toFixed(2)).join(', ')}; after: ` +
        `${loadAfter.map((l) => l.toFixed(2)).join(', ')}: other work on the machine shows in the spread).`,
      '',
      table,
      '',
      '## Ratios (same run)',
      '',
      ratios,
      '',
      `Redis: ${counts.publishedToRedis} publishes to Redis for ${sent} client publishes (warm-ups included), ` +
        `${counts.receivedFromRedis} deliveries from Redis to the other instances.`,
      '',
      '## Goal checks',
      '',
      ...checks.map((c) => `- ${c.pass ? 'PASS' : 'FAIL'}: ${c.goal} (${c.detail})`),
      '',
      `Command: \`npm run bench -- --suite signaling${options.quick ? ' --quick' : ''}\`. Machine: ${String(machine.cpuModel)}, ` +
        `${String(machine.cpuCount)} cores, Node ${String(machine.node)}.`,
    ].join('\n')
    const summary = [
      `${config.clients} clients in ${config.topics} rooms; announces delivered per second and p99 latency:`,
      '',
      markdownTable(
        ['offered publishes/s', '1 instance', '3 instances + Redis'],
        config.rates.map((rate) => {
          const a = one.find((r) => r.offeredPublishes === rate)!
          const b = three.find((r) => r.offeredPublishes === rate)!
          const cell = (r: Row) => `${fmt(r.deliveredPerSecond, 0)}/s, p99 ${fmt(r.p99Ms, 1)} ms`
          return [String(rate), cell(a), cell(b)]
        }),
        ['right', 'right', 'right'],
      ),
    ].join('\n')
    return { markdown, summary, checks, data: { machine, config, rows, redis: counts, sent, loadAvgAfter: loadAfter } }
  },
}
