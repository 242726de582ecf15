/**
 * The file store's durable write rate: appends per second that the store called durable, with one
 * fsync per frame (`sync: 'each'`) and with group commit (`'group'`), for 1 and 64 concurrent
 * writers, next to a raw write+fdatasync loop (the disk's floor). Also how long a compaction and an
 * open (scan and checksum of the whole log) take.
 *
 * The store directory is `DIFFSTREAM_BENCH_DIR` or the OS temp dir: fsync numbers only mean
 * something on a real disk (tmpfs makes every fsync free).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openFileStore, type SyncMode } from '@diffstream/core/node'
import { checkLine, fmt, machineInfo, markdownTable, median } from './report.js'
import type { Check, Suite, SuiteOptions, SuiteResult } from './suite.js'

const FRAME_BYTES = 200
const WRITERS = [1, 64] as const

interface Config {
  /** Seconds each write configuration runs per repetition. */
  seconds: number
  /** Repetitions, interleaved across configurations so that a slow spell of a shared disk hits all of them. */
  reps: number
  /** Frames in the log that the open measurement scans. */
  openFrames: number
  /** Snapshot sizes that the compaction measurement writes. */
  snapshotBytes: number[]
}

const FULL: Config = { seconds: 2, reps: 3, openFrames: 200_000, snapshotBytes: [1 << 20, 16 << 20] }
const QUICK: Config = { seconds: 1.5, reps: 1, openFrames: 20_000, snapshotBytes: [1 << 20] }

interface WriteRate {
  label: string
  sync: SyncMode | 'raw'
  writers: number
  writes: number
  seconds: number
  writesPerSecond: number
  fsyncsPerSecond: number
  framesPerFsync: number
  /** Append call → promise resolved, in ms. */
  latencyMs: { p50: number; p99: number; max: number }
  /** Kept out of the JSON: raw latencies, to pool repetitions. */
  latencies?: number[]
}

/** Repetitions of one configuration: rates are medians, latency percentiles are over all writes. */
function pool(reps: WriteRate[]): WriteRate {
  const all = reps.flatMap((r) => r.latencies ?? []).sort((a, b) => a - b)
  const first = reps[0]!
  return {
    label: first.label,
    sync: first.sync,
    writers: first.writers,
    writes: all.length,
    seconds: reps.reduce((n, r) => n + r.seconds, 0),
    writesPerSecond: median(reps.map((r) => r.writesPerSecond)),
    fsyncsPerSecond: median(reps.map((r) => r.fsyncsPerSecond)),
    framesPerFsync: median(reps.map((r) => r.framesPerFsync)),
    latencyMs: { p50: percentile(all, 50), p99: percentile(all, 99), max: all.at(-1) ?? NaN },
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

function frameOf(i: number): Uint8Array {
  const out = new Uint8Array(FRAME_BYTES)
  for (let j = 0; j < out.length; j++) out[j] = (i * 31 + j) & 0xff
  return out
}

/** `writers` loops, each awaiting its own append before the next, for `seconds`. */
async function measureStore(root: string, sync: SyncMode, writers: number, seconds: number): Promise<WriteRate> {
  const dir = mkdtempSync(join(root, `w-${sync}-${writers}-`))
  const store = await openFileStore(dir, { sync })
  const baseFsyncs = store.stats.fsyncs
  const latencies: number[] = []
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  let n = 0
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < end) {
        const start = performance.now()
        await store.append(frameOf(n++))
        latencies.push(performance.now() - start)
      }
    }),
  )
  const elapsed = (performance.now() - t0) / 1000
  const fsyncs = store.stats.fsyncs - baseFsyncs
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  latencies.sort((a, b) => a - b)
  return {
    label: sync === 'each' ? 'store, one fsync per frame' : 'store, group commit',
    sync,
    writers,
    writes: latencies.length,
    seconds: elapsed,
    writesPerSecond: latencies.length / elapsed,
    fsyncsPerSecond: fsyncs / elapsed,
    framesPerFsync: latencies.length / Math.max(1, fsyncs),
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN },
    latencies,
  }
}

/** The floor: one writer doing write + fdatasync on a plain file, no framing, no queue. */
async function measureRaw(root: string, seconds: number): Promise<WriteRate> {
  const path = join(root, 'raw.bin')
  const handle = await open(path, 'w')
  const latencies: number[] = []
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  let at = 0
  while (performance.now() < end) {
    const start = performance.now()
    const frame = frameOf(latencies.length)
    await handle.write(frame, 0, frame.length, at)
    await handle.datasync()
    at += frame.length
    latencies.push(performance.now() - start)
  }
  const elapsed = (performance.now() - t0) / 1000
  await handle.close()
  rmSync(path, { force: true })
  latencies.sort((a, b) => a - b)
  return {
    label: 'raw write + fdatasync',
    sync: 'raw',
    writers: 1,
    writes: latencies.length,
    seconds: elapsed,
    writesPerSecond: latencies.length / elapsed,
    fsyncsPerSecond: latencies.length / elapsed,
    framesPerFsync: 1,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN },
    latencies,
  }
}

interface Maintenance {
  openFrames: number
  logMiB: number
  /** openFileStore + load of a log of `openFrames` frames (scan, checksums, lock). */
  openMs: number
  compactions: Array<{ snapshotMiB: number; ms: number }>
}

async function measureMaintenance(root: string, config: Config): Promise<Maintenance> {
  const dir = mkdtempSync(join(root, 'm-'))
  const store = await openFileStore(dir)
  const batch = 5000
  for (let i = 0; i < config.openFrames; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, config.openFrames - i) }, (_, j) => store.append(frameOf(i + j))),
    )
  }
  const logBytes = store.size
  await store.close()
  const openTimes: number[] = []
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now()
    const reopened = await openFileStore(dir)
    const state = await reopened.load()
    openTimes.push(performance.now() - t0)
    if (state.frames.length !== config.openFrames) throw new Error(`read back ${state.frames.length} frames`)
    await reopened.close()
  }
  const compactions: Maintenance['compactions'] = []
  const compacting = await openFileStore(dir)
  for (const bytes of config.snapshotBytes) {
    const snapshot = new Uint8Array(bytes).map((_, i) => i & 0xff)
    const times: number[] = []
    for (let rep = 0; rep < 3; rep++) {
      const t0 = performance.now()
      await compacting.compact(snapshot)
      times.push(performance.now() - t0)
    }
    compactions.push({ snapshotMiB: bytes / 2 ** 20, ms: median(times) })
  }
  await compacting.close()
  rmSync(dir, { recursive: true, force: true })
  return { openFrames: config.openFrames, logMiB: logBytes / 2 ** 20, openMs: median(openTimes), compactions }
}

function fsType(dir: string): string {
  try {
    const type = statfsSync(dir).type
    const known: Record<number, string> = {
      0xef53: 'ext2/3/4',
      0x01021994: 'tmpfs',
      0x58465342: 'xfs',
      0x9123683e: 'btrfs',
      0x794c7630: 'overlayfs',
    }
    return known[type] ?? `0x${type.toString(16)}`
  } catch {
    return 'unknown'
  }
}

export const storeSuite: Suite = {
  name: 'store',
  description: `file store: durable ${FRAME_BYTES}-byte appends per second, one fsync per frame vs group commit, 1 and 64 writers`,
  async run(options: SuiteOptions): Promise<SuiteResult> {
    const config = options.quick ? QUICK : FULL
    const base = process.env.DIFFSTREAM_BENCH_DIR ?? tmpdir()
    const root = mkdtempSync(join(base, 'diffstream-store-bench-'))
    const filesystem = fsType(root)
    const runs: Array<() => Promise<WriteRate>> = [() => measureRaw(root, config.seconds)]
    for (const writers of WRITERS) {
      for (const sync of ['each', 'group'] as const) runs.push(() => measureStore(root, sync, writers, config.seconds))
    }
    try {
      const measured: WriteRate[][] = runs.map(() => [])
      for (let rep = 0; rep < config.reps; rep++) {
        for (const [i, run] of runs.entries()) measured[i]!.push(await run())
      }
      const rates = measured.map(pool)
      const maintenance = await measureMaintenance(root, config)

      const find = (sync: WriteRate['sync'], writers: number) =>
        rates.find((r) => r.sync === sync && r.writers === writers)!
      const each64 = find('each', 64)
      const group64 = find('group', 64)
      const each1 = find('each', 1)
      const raw = find('raw', 1)
      const checks: Check[] = [
        {
          goal: 'group commit: 64 writers get ≥ 10× the durable writes/s of one fsync per frame',
          pass: group64.writesPerSecond >= 10 * each64.writesPerSecond,
          detail: `${fmt(group64.writesPerSecond, 0)} vs ${fmt(each64.writesPerSecond, 0)} writes/s (${fmt(group64.framesPerFsync)} frames per fsync)`,
        },
        {
          goal: "one fsync per frame costs ≤ 1.5× a raw write+fdatasync (the store's own overhead is small)",
          pass: each1.writesPerSecond * 1.5 >= raw.writesPerSecond,
          detail: `${fmt(each1.writesPerSecond, 0)} vs ${fmt(raw.writesPerSecond, 0)} writes/s`,
        },
      ]
      const table = markdownTable(
        [
          'writer',
          'concurrent writers',
          'durable writes/s',
          'fsyncs/s',
          'frames per fsync',
          'latency p50 ms',
          'p99 ms',
          'max ms',
        ],
        rates.map((r) => [
          r.label,
          String(r.writers),
          fmt(r.writesPerSecond, 0),
          fmt(r.fsyncsPerSecond, 0),
          fmt(r.framesPerFsync),
          fmt(r.latencyMs.p50, 2),
          fmt(r.latencyMs.p99, 2),
          fmt(r.latencyMs.max, 2),
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
      )
      const maintenanceTable = markdownTable(
        ['operation', 'size', 'ms (median of 3)'],
        [
          [
            'open + load (lock, scan, CRC-32 of every frame)',
            `${config.openFrames} frames, ${fmt(maintenance.logMiB)} MiB`,
            fmt(maintenance.openMs),
          ],
          ...maintenance.compactions.map((c) => [
            "compact (2 files fsync'd, 2 renames, 2 directory fsyncs)",
            `${fmt(c.snapshotMiB)} MiB`,
            fmt(c.ms),
          ]),
        ],
        ['left', 'right', 'right'],
      )
      const markdown = [
        `## File store${options.quick ? ' (quick)' : ''}`,
        '',
        `${FRAME_BYTES}-byte frames, ${config.reps} × ${config.seconds} s per row (interleaved; rates are medians, latencies over all writes), store on ${filesystem} (${base}). Each writer awaits its own append before the next; "durable" = the append promise resolved (written and fdatasync'd).`,
        '',
        table,
        '',
        maintenanceTable,
        '',
        ...checks.map(checkLine),
      ].join('\n')
      return {
        markdown,
        data: {
          machine: machineInfo(['@diffstream/core']),
          filesystem,
          dir: base,
          frameBytes: FRAME_BYTES,
          config,
          rates,
          maintenance,
          checks,
        },
        checks,
      }
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  },
}
