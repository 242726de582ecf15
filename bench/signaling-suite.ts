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
}

const FULL: Config = {
  clients: 1000,
  topics: 100,
  rates: [500, 1000, 1500, 2000, 3000, 4000],
  durationMs: 3000,
  warmupMs: 1000,
}
const QUICK: Config = { clients: 1000, topics: 100, rates: [500, 2000], durationMs: 1500, warmupMs: 500 }

/** Server flags: room for 1 000 clients and for their rate, quiet logs. */
const SERVER_ARGS = ['--max-connections', '5000', '--rate', '1000', '--burst', '2000', '--log-level', 'warn']

interface Row {
  setup: string
  offeredPublishes: number
  deliveredPerSecond: number
  deliveredRatio: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

interface ClusterCounts {
  publishedToRedis: number
  receivedFromRedis: number
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

function row(setup: string, run: LoadRun): Row {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b)
  return {
    setup,
    offeredPublishes: run.offeredRate,
    deliveredPerSecond: run.deliveredInWindow / run.seconds,
    deliveredRatio: run.expected === 0 ? NaN : run.delivered / run.expected,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? NaN,
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

async function measure(setup: string, urls: string[], config: Config): Promise<{ rows: Row[]; sent: number }> {
  const load = await SignalingLoad.connect({ urls, clients: config.clients, topics: config.topics })
  const rows: Row[] = []
  let sent = 0
  try {
    // A first short run lets every subscription reach Redis before anything is counted.
    sent += (await load.measure(200, 500, 500)).sentTotal
    for (const rate of config.rates) {
      const run = await load.measure(rate, config.durationMs, config.warmupMs)
      sent += run.sentTotal
      rows.push(row(setup, run))
      console.error(
        `  ${setup} ${rate}/s: ${fmt(run.deliveredInWindow / run.seconds, 0)} delivered/s, ` +
          `${fmt((100 * run.delivered) / run.expected, 2)}% of expected, p99 ${fmt(rows.at(-1)!.p99Ms, 2)} ms`,
      )
    }
  } finally {
    load.close()
  }
  return { rows, sent }
}

export const signalingSuite: Suite = {
  name: 'signaling',
  description: '1 000 simulated clients: announces delivered/s and p99 latency, 1 instance vs 3 over Redis',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : FULL
    const noRedis = missing('redis-server')
    if (noRedis) throw new Error(`the signaling suite needs ${noRedis}`)
    const machine = machineInfo(['ioredis', 'ws'])

    const single = await startSignalingProcess({ args: SERVER_ARGS })
    let one: Row[]
    try {
      one = (await measure('1 instance', [single.url], config)).rows
    } finally {
      await single.stop()
    }

    let redis: Daemon | undefined
    const cluster: SignalingProcess[] = []
    let three: Row[]
    let counts: ClusterCounts
    let sent: number
    try {
      const port = await freePort()
      redis = await startRedis(port)
      for (let i = 0; i < 3; i++)
        cluster.push(await startSignalingProcess({ args: [...SERVER_ARGS, '--redis', `redis://127.0.0.1:${port}`] }))
      const before = await clusterCounts(cluster)
      const measured = await measure(
        '3 instances + Redis',
        cluster.map((s) => s.url),
        config,
      )
      const after = await clusterCounts(cluster)
      three = measured.rows
      sent = measured.sent
      counts = {
        publishedToRedis: after.publishedToRedis - before.publishedToRedis,
        receivedFromRedis: after.receivedFromRedis - before.receivedFromRedis,
      }
    } finally {
      await Promise.all(cluster.map((s) => s.stop()))
      await redis?.stop()
    }

    const table = markdownTable(
      ['setup', 'offered (publishes/s)', 'announces delivered/s', 'delivered by the end', 'p50 ms', 'p99 ms', 'max ms'],
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
        ]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
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
        `${config.warmupMs / 1000} s unmeasured, then ${config.durationMs / 1000} s measured. "Announces delivered/s" ` +
        `counts the deliveries received during the measured window (the throughput, which stops following the ` +
        `offered rate once a server saturates); "delivered by the end" is the share of the window's publishes ` +
        `delivered within 1.5 s after it; latency is send → delivery on one clock, over those. Servers, Redis ` +
        `and clients share the machine's ${String(machine.cpuCount)} cores (load average before: ` +
        `${(machine.loadAvgBefore as number[]).map((l) => l.toFixed(2)).join(', ')}).`,
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
    return { markdown, summary, checks, data: { machine, config, rows: [...one, ...three], redis: counts, sent } }
  },
}
