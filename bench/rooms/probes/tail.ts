/**
 * Where the latency tail of a room comes from: one 1 000/s room run between two peer processes (as
 * the rooms suite runs them), after 1 000 warm-up updates; updates slower than `--slow` ms are
 * grouped into episodes (runs of consecutive slow updates), and for the worst update of each the
 * parts of its latency are shown, with the GC pauses of either process that overlapped it.
 *   node --expose-gc --import tsx bench/rooms/probes/tail.ts [--updates=5000] [--slow=5] [--raw-first] [--quiet]
 * `--raw-first` first runs what the suite's raw phase does (a raw channel, 3 000 messages, 3 × 10 MB).
 * Extra node flags for the peers: ROOMS_CHILD_FLAGS (e.g. "--trace-gc" or "--cpu-prof --cpu-prof-dir=/tmp/p").
 */
import { parseArgs } from 'node:util'
import { startSignalingServer } from '@diffstream/signaling'
import { PeerProcess } from '../child.js'
import type { ResourceWindow, Schedule } from '../protocol.js'
import { lowerBound, summarize } from '../stats.js'

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '5000' },
    slow: { type: 'string', default: '5' },
    'raw-first': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
})
const count = Number(values.updates)
const slowMs = Number(values.slow)

const gcPauses = (r: ResourceWindow): Array<[number, number]> => Array.from(r.gcStartUs, (s, k) => [s, r.gcEndUs[k]!])
const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)}%`

const server = await startSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
const producer = new PeerProcess('producer', server.url)
const consumer = new PeerProcess('consumer', server.url)
producer.onSignal = (data) => void consumer.request({ op: 'raw-signal', data }).catch(() => undefined)
consumer.onSignal = (data) => void producer.request({ op: 'raw-signal', data }).catch(() => undefined)
try {
  if (values['raw-first']) {
    await Promise.all([
      producer.ask({ op: 'raw-open', initiator: true }, 'ok'),
      consumer.ask({ op: 'raw-open', initiator: false }, 'ok'),
    ])
    const s: Schedule = { count: 3000, periodUs: 1000, firstSeq: -100_000, pacing: 'sleep' }
    await consumer.ask({ op: 'raw-listen', schedule: s }, 'ok')
    await producer.ask({ op: 'raw-send', schedule: s, payloadBytes: 64, via: 'send' }, 'raw-send')
    await consumer.ask({ op: 'raw-collect', waitMs: 2000 }, 'raw-collect')
    for (let i = 0; i < 3; i++) {
      const got = consumer.ask({ op: 'raw-bulk-receive', bytes: 10_000_000, timeoutMs: 30_000 }, 'raw-bulk')
      await consumer.ask({ op: 'clock' }, 'clock')
      await producer.ask({ op: 'raw-bulk-send', bytes: 10_000_000, chunkBytes: 16_384 }, 'raw-bulk')
      await got
    }
    await Promise.all([producer.ask({ op: 'raw-close' }, 'ok'), consumer.ask({ op: 'raw-close' }, 'ok')])
  }
  await producer.ask({ op: 'join', room: 'tail', role: 'producer' }, 'ok')
  await consumer.ask({ op: 'join', room: 'tail', role: 'consumer' }, 'ok')
  await Promise.all([
    producer.ask({ op: 'wait-synced', room: 'tail', timeoutMs: 20_000 }, 'ok'),
    consumer.ask({ op: 'wait-synced', room: 'tail', timeoutMs: 20_000 }, 'ok'),
  ])
  let seq = 0
  for (const n of [1000, count]) {
    const s: Schedule = { count: n, periodUs: 1000, firstSeq: seq, pacing: 'sleep' }
    seq += n
    await consumer.ask({ op: 'listen', room: 'tail', schedule: s }, 'ok')
    const { log: sent } = await producer.ask({ op: 'produce', room: 'tail', schedule: s }, 'produce', 60_000)
    const { log: got } = await consumer.ask({ op: 'collect', room: 'tail', waitMs: 5000 }, 'collect')
    if (seq === 1000) continue // warm-up

    const latMs = (i: number): number => (got.receivedUs[i]! - sent.actualUs[i]!) / 1000
    const gcs = { producer: gcPauses(sent.resources), consumer: gcPauses(got.resources) }
    const t0 = sent.actualUs[0]!
    const lines: string[] = []
    let slow = 0
    for (let i = 0; i < n;) {
      if (!(latMs(i) > slowMs)) {
        i++
        continue
      }
      let j = i
      let worst = i
      for (; j < n && latMs(j) > slowMs; j++) if (latMs(j) > latMs(worst)) worst = j
      slow += j - i
      const actual = sent.actualUs[worst]!
      const k = lowerBound(sent.channelSendStartUs, actual)
      const start = sent.channelSendStartUs[k]!
      const end = sent.channelSendEndUs[k]!
      const arrival = got.arrivalUs[worst]!
      const received = got.receivedUs[worst]!
      const overlapping = (g: Array<[number, number]>): string =>
        g
          .filter(([a, b]) => a <= received && b >= sent.actualUs[i]!)
          .map(([a, b]) => ((b - a) / 1000).toFixed(1))
          .join('+') || '-'
      const f = (us: number): string => (us / 1000).toFixed(2)
      lines.push(
        `t=${f(sent.actualUs[i]! - t0)} ms, ${j - i} slow, worst ${f(received - actual)} ms = sender ${f(start - actual)} + ` +
          `send() ${f(end - start)} + transport ${f(arrival - end)} + receiver ${f(received - arrival)}; ` +
          `GC pauses ms: producer ${overlapping(gcs.producer)}, consumer ${overlapping(gcs.consumer)}`,
      )
      i = j
    }
    if (!values.quiet) console.log(lines.join('\n'))
    const lat = summarize(Array.from({ length: n }, (_, i) => latMs(i)))
    const call = summarize(sent.channelSendEndUs.map((e, i) => (e - sent.channelSendStartUs[i]!) / 1000))
    const r = (w: ResourceWindow): string =>
      `CPU ${pct(w.cpuMs, w.wallMs)}, run-queue wait ${pct(w.runQueueWaitMs, w.wallMs)}, ${w.gcCount} GCs / ${w.gcMs.toFixed(0)} ms`
    console.log(
      `${n} updates: p50 ${lat.p50.toFixed(3)} p90 ${lat.p90.toFixed(3)} p99 ${lat.p99.toFixed(3)} max ${lat.max.toFixed(1)} ms; ` +
        `${slow} slower than ${slowMs} ms in ${lines.length} episodes; send() p50 ${call.p50.toFixed(3)} p99 ${call.p99.toFixed(3)} ms`,
    )
    console.log(`producer: ${r(sent.resources)}; consumer: ${r(got.resources)}`)
  }
} finally {
  await Promise.all([producer.stop(), consumer.stop()])
  await server.close()
}
