import { loadavg } from 'node:os'
import { createWriterKey } from '@diffstream/core'
import { decodeFrame } from '../core/src/net/frames.js'
import { Replica, type ReplicaLink } from '../core/src/net/replica.js'
import { auctionStream } from '../test/helpers/auction-stream.js'
import { fmt, machineInfo, markdownTable, median } from './report.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'

/*
 * `integrity`: what signing costs (docs/writers.md). A writer, a relay that never writes and a
 * reader, as room replicas joined by in-memory links (the frames a room sends, without WebRTC's
 * noise), stream the auction (test/helpers/auction-stream.ts) in an open room and in a signed one.
 * Per update: the bytes on the writer's link and the CPU time of all three (signing, two
 * verifications, Yjs), with 1 and with 10 updates per tick (the replica signs per tick).
 */

interface Config {
  lots: number
  updates: number
  perTick: number[]
  reps: number
}

const FULL: Config = { lots: 200, updates: 20_000, perTick: [1, 10], reps: 3 }
const QUICK: Config = { lots: 200, updates: 3000, perTick: [1, 10], reps: 1 }
const ROOM = 'bench-integrity'

type Mode = 'open' | 'signed'

interface Run {
  mode: Mode
  perTick: number
  bytesPerUpdate: number
  framesPerUpdate: number
  cpuUsPerUpdate: number
  wallUsPerUpdate: number
}

/** Three replicas in a line; `pump` delivers every queued frame until all is quiet. */
async function chain(mode: Mode) {
  const key = mode === 'signed' ? await createWriterKey() : null
  const make = (writes: boolean): Replica =>
    new Replica({
      compacts: false,
      compaction: false,
      ...(key ? { signed: { room: ROOM, writers: [key.publicKey], ...(writes ? { writerKey: key } : {}) } } : {}),
    })
  const nodes = [make(true), make(false), make(false)]
  const queue: Array<{ to: number; link: ReplicaLink; frame: Uint8Array }> = []
  const wire = { bytes: 0, frames: 0 }
  const links: ReplicaLink[][] = nodes.map(() => [])
  for (const [a, b] of [
    [0, 1],
    [1, 2],
  ] as const) {
    const pair: Array<[number, number]> = [
      [a, b],
      [b, a],
    ]
    const made = pair.map(([x, y]) => {
      const link: ReplicaLink = {
        id: `n${y}`,
        followsEpochs: true,
        send: (frame) => {
          if (x === 0) {
            wire.bytes += frame.length
            wire.frames++
          }
          queue.push({ to: y, link: links[y]![x]!, frame })
        },
        drop: (reason) => {
          throw new Error(`bench: n${x} dropped n${y}: ${reason}`)
        },
      }
      links[x]![y] = link
      return link
    })
    nodes[a]!.open(made[0]!)
    nodes[b]!.open(made[1]!)
  }
  const pump = async (): Promise<void> => {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setImmediate(r))
      if (queue.length === 0) {
        quiet++
        continue
      }
      quiet = 0
      for (const m of queue.splice(0)) nodes[m.to]!.receive(m.link, decodeFrame(m.frame))
    }
  }
  await pump()
  return { nodes, wire, pump }
}

async function measure(mode: Mode, perTick: number, config: Config): Promise<Run> {
  const { nodes, wire, pump } = await chain(mode)
  const [writer, , reader] = nodes as [Replica, Replica, Replica]
  const next = auctionStream(config.lots, 7)
  // the lots once, unmeasured: then only bids
  for (let i = 0; i < config.lots; i++) {
    const r = next()
    writer.write(String(r['key']), r, 'bench')
  }
  await writer.gate?.idle()
  await pump()
  wire.bytes = 0
  wire.frames = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < config.updates; i += perTick) {
    for (let j = 0; j < perTick; j++) {
      const r = next()
      writer.write(String(r['key']), r, 'bench')
    }
    writer.flush()
    await writer.gate?.idle()
    await pump()
  }
  // the last signature checks may still run on WebCrypto's threads
  for (let i = 0; i < 200 && reader.mirror.fingerprint() !== writer.mirror.fingerprint(); i++) {
    await new Promise((r) => setTimeout(r, 5))
    await pump()
  }
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  if (reader.mirror.fingerprint() !== writer.mirror.fingerprint()) throw new Error(`${mode}: the reader differs from the writer`)
  for (const n of nodes) n.destroy()
  const n = config.updates
  return {
    mode,
    perTick,
    bytesPerUpdate: wire.bytes / n,
    framesPerUpdate: wire.frames / n,
    cpuUsPerUpdate: (cpu.user + cpu.system) / n,
    wallUsPerUpdate: (wall * 1000) / n,
  }
}

export const integritySuite: Suite = {
  name: 'integrity',
  description: 'signed rooms against open ones: bytes and CPU per update on the auction stream (docs/writers.md)',
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : FULL
    const machine = machineInfo(['@diffstream/core', 'yjs'])
    const runs: Run[] = []
    for (let rep = 0; rep < config.reps; rep++)
      for (const perTick of config.perTick)
        for (const mode of rep % 2 === 0 ? (['open', 'signed'] as const) : (['signed', 'open'] as const))
          runs.push(await measure(mode, perTick, config))
    machine['loadAvgAfter'] = loadavg()
    const pick = (mode: Mode, perTick: number, f: (r: Run) => number): number =>
      median(runs.filter((r) => r.mode === mode && r.perTick === perTick).map(f))
    const rows = config.perTick.map((perTick) => {
      const b = (m: Mode) => pick(m, perTick, (r) => r.bytesPerUpdate)
      const c = (m: Mode) => pick(m, perTick, (r) => r.cpuUsPerUpdate)
      return { perTick, openBytes: b('open'), signedBytes: b('signed'), openCpu: c('open'), signedCpu: c('signed') }
    })
    const table = markdownTable(
      ['updates per tick', 'open B/update', 'signed B/update', 'bytes ×', 'open CPU µs/update', 'signed CPU µs/update', 'CPU ×'],
      rows.map((r) => [
        String(r.perTick),
        fmt(r.openBytes),
        fmt(r.signedBytes),
        fmt(r.signedBytes / r.openBytes, 2),
        fmt(r.openCpu),
        fmt(r.signedCpu),
        fmt(r.signedCpu / r.openCpu, 2),
      ]),
      ['right', 'right', 'right', 'right', 'right', 'right', 'right'],
    )
    const batched = rows.find((r) => r.perTick === 10)
    const checks: Check[] = batched
      ? [
          {
            goal: 'signed rooms cost at most 2x the bytes of open ones at 10 updates per tick',
            pass: batched.signedBytes / batched.openBytes <= 2,
            detail: `${fmt(batched.signedBytes / batched.openBytes, 2)}x`,
          },
        ]
      : []
    const markdown = [
      '# Integrity benchmark: signed rooms against open ones',
      '',
      `${String(machine['date'])} · Node ${String(machine['node'])} · ${String(machine['cpuModel'])} × ${String(machine['cpuCount'])} · ` +
        `${config.updates} auction updates over ${config.lots} lots, median of ${config.reps} run(s)` +
        (options.quick ? ' · **smoke run (`--quick`)**' : ''),
      '',
      table,
      '',
      'A writer, a relay that never writes and a reader are room replicas joined by in-memory links: the frames a room sends, ' +
        "without WebRTC. Bytes are those on the writer's link; CPU is the process's (user + system, WebCrypto's threads included) " +
        'for all three replicas: the writer signs each tick’s batch once (64-byte Ed25519 signature plus a few bytes of header), ' +
        'the relay and the reader each verify it. See docs/writers.md.',
    ].join('\n')
    return {
      markdown,
      data: { machine, config, runs, rows },
      checks,
      summary: table,
    }
  },
}
