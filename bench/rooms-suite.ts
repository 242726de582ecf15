import { loadavg } from 'node:os'
import { startSignalingServer } from '@diffstream/signaling'
import { chartLinks } from './charts.js'
import { fmt, machineInfo, median } from './report.js'
import { bulkRate } from './rooms/bulk.js'
import { PeerProcess } from './rooms/child.js'
import { clockCheck } from './rooms/clock-check.js'
import {
  BULK_BYTES,
  BULK_CHUNK,
  DEFAULT,
  MB,
  QUICK,
  RATE,
  type BulkRun,
  type SyncRun,
  type SyncSet,
} from './rooms/config.js'
import { OtherLoad } from './rooms/load.js'
import type { BulkStamp, Pacing, RecordSet, Schedule } from './rooms/protocol.js'
import { ITEM_JSON_BYTES, ITEMS, LOTS } from './rooms/records.js'
import { render } from './rooms/render.js'
import { goalChecks, plainJson, roomsCharts, roomsSummary, sustained, type Report } from './rooms/report.js'
import { Retrier } from './rooms/retrier.js'
import { summarize } from './rooms/stats.js'
import { combine, itemize, type Block, type StreamResult } from './rooms/stream.js'
import type { Suite, SuiteOptions, SuiteResult } from './suite.js'

/*
 * `rooms`: DiffStream rooms over real WebRTC (simple-peer + @roamhq/wrtc, loopback ICE candidates
 * only) between two processes on this machine: latency from the producer's `cache.update` to the
 * consumer's `change` event at 1 000 updates/s next to the raw data channel between the same two
 * processes in the same run, a rate ramp, and the throughput of a 10 MB initial sync.
 */
let seqCounter = 0
function schedule(count: number, rate: number, pacing: Pacing): Schedule {
  const s: Schedule = { count, periodUs: 1e6 / rate, firstSeq: seqCounter, pacing }
  seqCounter += count
  return s
}

interface Ctx {
  producer: PeerProcess
  consumer: PeerProcess
  load: OtherLoad
  retrier: Retrier
}

async function gcBoth({ producer, consumer }: Ctx): Promise<void> {
  await Promise.all([producer.ask({ op: 'gc' }, 'ok'), consumer.ask({ op: 'gc' }, 'ok')])
}

async function rawBlock(ctx: Ctx, count: number, payloadBytes: number, via: 'send' | 'write'): Promise<Block> {
  const { producer, consumer, load } = ctx
  const s = schedule(count, RATE, 'sleep')
  await consumer.ask({ op: 'raw-listen', schedule: s }, 'ok')
  const l0 = load.sample()
  const sent = await producer.ask({ op: 'raw-send', schedule: s, payloadBytes, via }, 'raw-send', 30_000 + count)
  const { log } = await consumer.ask({ op: 'raw-collect', waitMs: 2000 }, 'raw-collect')
  return itemize(sent.log, log, load.between(l0, load.sample()), count * payloadBytes, 0)
}

/** MB/s of the raw bulk runs: the median after the first (a warm-up) when there are several. */

async function rawBulk(ctx: Ctx): Promise<BulkRun> {
  const { producer, consumer, load } = ctx
  const l0 = load.sample()
  const received = consumer.ask({ op: 'raw-bulk-receive', bytes: BULK_BYTES, timeoutMs: 60_000 }, 'raw-bulk', 70_000)
  await consumer.ask({ op: 'clock' }, 'clock') // the receiver is counting before anything is sent
  const sent: BulkStamp = (
    await producer.ask({ op: 'raw-bulk-send', bytes: BULK_BYTES, chunkBytes: BULK_CHUNK }, 'raw-bulk')
  ).stamp
  const got = (await received).stamp
  const ms = (got.lastUs - sent.firstUs) / 1000
  return {
    bytes: got.bytes,
    chunkBytes: BULK_CHUNK,
    ms,
    mbPerSec: got.bytes / MB / (ms / 1000),
    otherLoad: load.between(l0, load.sample()),
  }
}

const LATENCY_ROOM = 'bench-latency'

async function roomBlock(ctx: Ctx, count: number, rate: number, pacing: Pacing): Promise<Block> {
  const { producer, consumer, load } = ctx
  const s = schedule(count, rate, pacing)
  await consumer.ask({ op: 'listen', room: LATENCY_ROOM, schedule: s }, 'ok')
  const before = (await producer.ask({ op: 'traffic', room: LATENCY_ROOM }, 'traffic')).traffic
  const l0 = load.sample()
  const sent = await producer.ask(
    { op: 'produce', room: LATENCY_ROOM, schedule: s },
    'produce',
    30_000 + (count / rate) * 2000,
  )
  const got = await consumer.ask({ op: 'collect', room: LATENCY_ROOM, waitMs: 5000 }, 'collect', 20_000)
  return itemize(sent.log, got.log, load.between(l0, load.sample()), sent.traffic.bytesSent - before.bytesSent, LOTS)
}

async function syncSet(ctx: Ctx, set: RecordSet, reps: number, reference: boolean, seed: number): Promise<SyncSet> {
  const { producer, consumer, load, retrier } = ctx
  const room = `bench-sync-${set}`
  const { result: loaded } = await producer.ask({ op: 'load', room, set, seed }, 'load', 60_000)
  const runs: SyncRun[] = []
  for (let rep = 0; rep < reps; rep++) {
    const run = await retrier.run(`sync ${set}`, async (): Promise<SyncRun> => {
      await gcBoth(ctx)
      const l0 = load.sample()
      const { result } = await consumer.ask(
        { op: 'sync', room, expectRecords: loaded.records, timeoutMs: 60_000, reference: reference && rep === 0 },
        'sync',
        90_000,
      )
      const otherLoad = load.between(l0, load.sample())
      await consumer.ask({ op: 'leave', room }, 'ok')
      // Let the producer see the consumer go before the next one joins.
      await new Promise((r) => setTimeout(r, 200))
      return {
        ...result,
        set,
        jsonBytes: loaded.jsonBytes,
        mbPerSec: loaded.jsonBytes / MB / (result.totalMs / 1000),
        mbPerSecAfterConnect: loaded.jsonBytes / MB / ((result.totalMs - result.connectMs) / 1000),
        digestOk: result.digest === loaded.digest && result.records === loaded.records,
        otherLoad,
      }
    })
    runs.push(run)
  }
  await producer.ask({ op: 'leave', room }, 'ok')
  return {
    set,
    records: loaded.records,
    jsonBytes: loaded.jsonBytes,
    writeMs: loaded.writeMs,
    runs,
    totalMs: median(runs.map((r) => r.totalMs)),
    mbPerSec: median(runs.map((r) => r.mbPerSec)),
    mbPerSecAfterConnect: median(runs.map((r) => r.mbPerSecAfterConnect)),
  }
}

// --- suite -----------------------------------------------------------------------------------------

export const roomsSuite: Suite = {
  name: 'rooms',
  description:
    'WebRTC rooms between two processes: update → change latency at 1 000/s next to the raw data channel, rate ramp, 10 MB initial sync',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : DEFAULT
    const machine = machineInfo(['@diffstream/core', 'yjs', 'simple-peer', '@roamhq/wrtc'])
    const server = await startSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
    const producer = new PeerProcess('producer', server.url)
    const consumer = new PeerProcess('consumer', server.url)
    producer.onSignal = (data) => void consumer.request({ op: 'raw-signal', data }).catch(() => undefined)
    consumer.onSignal = (data) => void producer.request({ op: 'raw-signal', data }).catch(() => undefined)
    const load = new OtherLoad(() => [process.pid, producer.pid, consumer.pid])
    const ctx: Ctx = { producer, consumer, load, retrier: new Retrier(config.retryBudgetMs, load) }
    const step = (what: string, t0: number): void =>
      console.error(`  ${what} in ${fmt((performance.now() - t0) / 1000, 1)} s`)
    try {
      let t0 = performance.now()
      const clocks = [await clockCheck(producer, config.clockRounds), await clockCheck(consumer, config.clockRounds)]
      step('processes started, clock checked', t0)
      if (clocks.some((c) => c.monoViolations > 0)) {
        throw new Error(`process.hrtime is not one clock across processes here: ${JSON.stringify(clocks)}`)
      }

      // Both connections open side by side; the 1 000/s series alternate block by block, so the raw
      // channel and the room are measured over the same stretch of time on the same machine.
      t0 = performance.now()
      await Promise.all([
        producer.ask({ op: 'raw-open', initiator: true }, 'ok'),
        consumer.ask({ op: 'raw-open', initiator: false }, 'ok'),
      ])
      await producer.ask({ op: 'join', room: LATENCY_ROOM, role: 'producer' }, 'ok')
      await consumer.ask({ op: 'join', room: LATENCY_ROOM, role: 'consumer' }, 'ok')
      await Promise.all([
        producer.ask({ op: 'wait-synced', room: LATENCY_ROOM, timeoutMs: 30_000 }, 'ok', 40_000),
        consumer.ask({ op: 'wait-synced', room: LATENCY_ROOM, timeoutMs: 30_000 }, 'ok', 40_000),
      ])
      step('raw data channel and room connected', t0)

      t0 = performance.now()
      const P = config.rawPayloadBytes
      await rawBlock(ctx, config.rawWarmup, P, 'send')
      const warmup = combine('warm-up', 'sleep', RATE, [await roomBlock(ctx, config.warmup, RATE, 'sleep')])
      await gcBoth(ctx)
      const rawBlocks: Block[] = []
      const roomBlocks: Block[] = []
      for (let b = 0; b < config.blocks; b++) {
        rawBlocks.push(
          await ctx.retrier.run('raw one way', () => rawBlock(ctx, config.rawMessages / config.blocks, P, 'send')),
        )
        roomBlocks.push(
          await ctx.retrier.run('room 1 000/s', () => roomBlock(ctx, config.updates / config.blocks, RATE, 'sleep')),
        )
      }
      const raw = combine('raw data channel via send()', 'sleep', RATE, rawBlocks)
      const room = combine('room', 'sleep', RATE, roomBlocks)
      step(
        `latency at ${RATE}/s: ${config.rawMessages} raw messages and ${config.updates} room updates in ${config.blocks} alternating blocks`,
        t0,
      )

      t0 = performance.now()
      const rawWrite = combine('raw data channel via write()', 'sleep', RATE, [
        await ctx.retrier.run('raw one way via write()', () => rawBlock(ctx, config.rawWriteMessages, P, 'write')),
      ])
      await producer.ask({ op: 'raw-rtt', count: config.rttWarmup, payloadBytes: P }, 'raw-rtt')
      const rtt = await producer.ask({ op: 'raw-rtt', count: config.rtts, payloadBytes: P }, 'raw-rtt', 60_000)
      const rttMs = summarize(rtt.rttUs.map((v) => v / 1000))
      let timer: StreamResult | null = null
      if (config.timerUpdates > 0) {
        timer = combine('room, setTimeout pacing', 'timer', RATE, [
          await roomBlock(ctx, config.timerUpdates, RATE, 'timer'),
        ])
      }
      step(`raw via write(), ${config.rtts} round trips${timer ? ', room paced by setTimeout' : ''}`, t0)

      t0 = performance.now()
      const ramp: StreamResult[] = []
      for (const rate of config.rampRates) {
        await gcBoth(ctx)
        const s = combine(`ramp ${rate}`, 'sleep', rate, [
          await roomBlock(ctx, Math.round((rate * config.rampMs) / 1000), rate, 'sleep'),
        ])
        ramp.push(s)
        if (!sustained(s)) break
      }
      await Promise.all([
        producer.ask({ op: 'leave', room: LATENCY_ROOM }, 'ok'),
        consumer.ask({ op: 'leave', room: LATENCY_ROOM }, 'ok'),
      ])
      if (ramp.length > 0) step(`rate ramp up to ${ramp[ramp.length - 1]!.targetRate}/s`, t0)

      t0 = performance.now()
      const bulk: BulkRun[] = []
      for (let i = 0; i < config.bulkRuns; i++) {
        await gcBoth(ctx)
        bulk.push(await rawBulk(ctx))
      }
      await Promise.all([producer.ask({ op: 'raw-close' }, 'ok'), consumer.ask({ op: 'raw-close' }, 'ok')])
      step(`raw data channel: ${config.bulkRuns} × 10 MB`, t0)

      const syncs: SyncSet[] = []
      for (const set of config.syncSets) {
        t0 = performance.now()
        syncs.push(await syncSet(ctx, set, config.syncReps, config.syncReference, options.seed))
        step(`initial sync (${set}) × ${config.syncReps}`, t0)
      }

      machine['loadAvgAfter'] = loadavg()
      const bulkMbPerSec = bulkRate(bulk)
      const checks = goalChecks(room, raw, syncs, bulkMbPerSec)
      const warnings = [
        ...producer.warnings.map((w) => `producer: ${w}`),
        ...consumer.warnings.map((w) => `consumer: ${w}`),
      ]
      // The measurements, shared by the Markdown report and the raw JSON.
      const results = { clocks, raw, rawWrite, rttMs, bulk, room, timer, warmup, ramp, syncs, checks, warnings }
      const report: Report = { config, machine, ...results, discarded: ctx.retrier.discarded, quick: options.quick }
      const chartList = roomsCharts(report, bulkMbPerSec)
      const links = chartLinks(chartList, options.quick ? '-quick' : '')
      const markdown = [render(report), links, ''].join('\n')
      const data: Record<string, unknown> = plainJson({
        suite: 'rooms',
        machine,
        config: {
          ...config,
          quick: options.quick,
          seed: options.seed,
          rate: RATE,
          items: ITEMS,
          itemJsonBytes: ITEM_JSON_BYTES,
          bulkBytes: BULK_BYTES,
        },
        method: {
          clock: 'process.hrtime (CLOCK_MONOTONIC, system-wide) in every process; checked by IPC bracketing (clocks)',
          latency:
            'consumer change-event stamp − producer stamp taken just before room.cache.update(); producer paced by Atomics.wait',
          raw: 'simple-peer send() in the producer process → data event in the consumer process, same schedule; RTT from sequential ping-pong',
          sync: 'joinRoom → whenSynced() and cache.size === records, in a fresh consumer room; MB = 1e6 B of record JSON',
          otherLoad:
            '/proc/stat busy time minus the CPU time of the suite processes, over the run, as a share of all cores',
        },
        ...results,
        retried: ctx.retrier.discarded,
      }) as Record<string, unknown>
      return {
        markdown,
        data,
        checks,
        summary: [roomsSummary(report, bulkMbPerSec), '', links].join('\n'),
        charts: chartList,
      }
    } finally {
      await Promise.all([producer.stop(), consumer.stop()])
      await server.close()
    }
  },
}
