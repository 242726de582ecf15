import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { Key } from '@diffstream/core'
import { keyId, type BenchRecord, type Contender } from './contender.js'
import { createContender } from './contenders/index.js'
import { auctionStream } from './workloads/auction.js'
import { bigRecord } from './workloads/big-record.js'
import { largeCache } from './workloads/large-cache.js'
import { readmeEdits, readmeExample } from './workloads/readme.js'
import { machineBusyUs } from './rooms/load.js'
import { finalState, type Workload } from './workloads/workload.js'

/** Sizes of the core suite's workloads. */
export interface CoreConfig {
  auctions: number
  ticks: number
  edits: number
  /** The large cache: records, ticks, and the share of records each tick changes. */
  cacheRecords: number
  cacheTicks: number
  cacheShare: number
  /** The big record: items of 10 KB (1 000 = 10 MB) and updates. */
  bigItems: number
  bigUpdates: number
  /** Measured repetitions per contender and workload (after one warm-up repetition). */
  reps: number
  /** Fewer for the two heavy workloads, whose initial state is rebuilt every repetition (0: the warm-up is the measurement). */
  heavyReps: number
  /** The scaling rows: cache sizes (records) and updates per repetition. */
  scaleRecords: number[]
  scaleUpdates: number
}

export type WorkloadName = 'readme-edits' | 'auction' | 'large-cache' | 'big-record'
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['readme-edits', 'auction', 'large-cache', 'big-record']

/** One timed repetition: a fresh producer/consumer pair runs all the workload's updates. */
export interface Rep {
  /** All `produce` calls of the timed updates, back to back, in ns. */
  produceNs: number
  /** All `consume` calls of the same messages, back to back, in ns. */
  consumeNs: number
  /** Process CPU time (user + system, every thread incl. GC helpers) over both phases, in µs. */
  cpuUs: number
  /** On-CPU time of the measuring thread alone over both phases, in ns (Linux schedstat; null elsewhere). */
  threadCpuNs: number | null
  /**
   * Time the measuring thread was runnable but waiting for a CPU, in ns (Linux schedstat; null
   * elsewhere): other processes competing for the cores. High values mean inflated wall times.
   */
  runQueueWaitNs: number | null
  /**
   * Share of the machine's CPU capacity (all cores) that other processes used during the rep,
   * from /proc/stat minus this process's own CPU time (Linux; null elsewhere). Resolution is the
   * kernel tick (10 ms), so it is only meaningful for repetitions of a few hundred ms.
   */
  otherLoad: number | null
}

/** [on-CPU ns, run-queue wait ns] of the calling thread, or null when the kernel does not tell. */
function threadSchedStat(): [number, number] | null {
  try {
    const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number)
    return cpu !== undefined && wait !== undefined && Number.isFinite(cpu) && Number.isFinite(wait) ? [cpu, wait] : null
  } catch {
    return null
  }
}

/** A newcomer catching up with the producer's state at the end of a repetition. */
export interface CatchUp {
  /** Bytes the newcomer receives (`snapshot()`). */
  bytes: number
  /** Producer: `snapshot()`, ms. */
  encodeMs: number
  /** Newcomer: `restore(bytes)` into a fresh consumer, ms. */
  restoreMs: number
  /** UTF-8 bytes of the records as JSON: the live data. */
  jsonBytes: number
}

/** Requests from the suite to a contender host, and its answers. */
export type CoreRequest =
  | { op: 'info' }
  | { op: 'example' }
  | { op: 'rep'; workload: WorkloadName; sizes: boolean; patch?: boolean }
  /** The scaling rows: a cache of `records` records (bulk loaded), `updates` updates of 1 record each. */
  | { op: 'scale'; records: number; updates: number }
  /** After a `rep` of the same workload: a newcomer catches up with the state it left. */
  | { op: 'catchup'; workload: WorkloadName }
export type CoreResponse =
  | { op: 'info'; name: string; description: string; patch: boolean; bulk: boolean }
  | { op: 'example'; msg1: number; msg2: number }
  | { op: 'rep'; rep: Rep; sizes: number[] | null; initialMean: number }
  | { op: 'scale'; rep: Rep }
  | { op: 'catchup'; catchUp: CatchUp }
  | { op: 'error'; message: string }

/** What a host is started with (the worker's `workerData`). */
export interface HostInit {
  contender: string
  config: CoreConfig
  seed: number
}

export function buildWorkload(name: WorkloadName, config: CoreConfig, seed: number): Workload {
  switch (name) {
    case 'readme-edits':
      return readmeEdits(config.edits, seed)
    case 'auction':
      return auctionStream(config.auctions, config.ticks, seed + 1)
    case 'large-cache':
      return largeCache(config.cacheRecords, config.cacheTicks, config.cacheShare, seed + 2)
    case 'big-record':
      return bigRecord(config.bigItems, config.bigUpdates, seed + 3)
  }
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
export function verify(
  c: Contender,
  expected: ReadonlyMap<string, BenchRecord>,
  read: (key: Key) => unknown = (key) => c.read(key),
): void {
  for (const [id, record] of expected) {
    const got = String(JSON.stringify(canonical(read(record.key))))
    const want = JSON.stringify(canonical(record))
    if (got !== want)
      throw new Error(
        `${c.name}: consumer copy of ${id} differs\n  got  ${got.slice(0, 500)}\n  want ${want.slice(0, 500)}`,
      )
  }
}

/** Times a newcomer's catch-up from the producer's current state, then checks the newcomer's copy. */
export function catchUp(c: Contender, expected: ReadonlyMap<string, BenchRecord>): CatchUp {
  globalThis.gc?.()
  const t0 = process.hrtime.bigint()
  const bytes = c.snapshot()
  const t1 = process.hrtime.bigint()
  globalThis.gc?.()
  const t2 = process.hrtime.bigint()
  const read = c.restore(bytes)
  const t3 = process.hrtime.bigint()
  verify(c, expected, read)
  let jsonBytes = 0
  for (const r of expected.values()) jsonBytes += Buffer.byteLength(JSON.stringify(r))
  return { bytes: bytes.length, encodeMs: Number(t1 - t0) / 1e6, restoreMs: Number(t3 - t2) / 1e6, jsonBytes }
}

/**
 * One repetition: fresh state, the `initial` records sent untimed, then every update produced
 * (timed), then every message consumed (timed), then the consumer checked against the producer.
 */
export function runRep(
  c: Contender,
  w: Workload,
  expected: ReadonlyMap<string, BenchRecord>,
  how: { bulk?: boolean; patch?: boolean } = {},
): { rep: Rep; messages: Uint8Array[]; initialMean: number } {
  c.setup()
  let initialBytes = 0
  if (how.bulk && c.bulkLoad) c.bulkLoad(w.initial)
  else if (c.load) initialBytes = c.load(w.initial)
  else {
    for (const r of w.initial) {
      const bytes = c.produce(r)
      initialBytes += bytes.length
      c.consume(bytes)
    }
  }
  const n = w.updates.length
  const messages = new Array<Uint8Array>(n)
  globalThis.gc?.()
  const sched0 = threadSchedStat()
  const busy0 = machineBusyUs()
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  if (how.patch) {
    const patches = w.patches
    if (!c.producePatch || !patches) throw new Error(`${c.name}: no path writes for ${w.name}`)
    for (let i = 0; i < n; i++) messages[i] = c.producePatch(patches[i]!.key, patches[i]!.patch)
  } else for (let i = 0; i < n; i++) messages[i] = c.produce(w.updates[i]!)
  const t1 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) c.consume(messages[i]!)
  const t2 = process.hrtime.bigint()
  const cpu = process.cpuUsage(cpu0)
  const sched1 = threadSchedStat()
  const busy1 = machineBusyUs()
  verify(c, expected)
  const wallUs = Number(t2 - t0) / 1000
  const ownUs = cpu.user + cpu.system
  const initialMean = w.initial.length > 0 ? initialBytes / w.initial.length : 0
  const rep: Rep = {
    produceNs: Number(t1 - t0),
    consumeNs: Number(t2 - t1),
    cpuUs: cpu.user + cpu.system,
    threadCpuNs: sched0 && sched1 ? sched1[0] - sched0[0] : null,
    runQueueWaitNs: sched0 && sched1 ? sched1[1] - sched0[1] : null,
    otherLoad:
      busy0 !== null && busy1 !== null ? Math.max(0, busy1 - busy0 - ownUs) / (wallUs * availableParallelism()) : null,
  }
  return { rep, messages, initialMean }
}

/** Holds one contender and the workloads, and answers the suite's requests (in a worker or inline). */
export class ContenderHost {
  private readonly contender: Contender
  private readonly workloads = new Map<WorkloadName, { w: Workload; expected: Map<string, BenchRecord> }>()
  private readonly scaled = new Map<string, { w: Workload; expected: Map<string, BenchRecord> }>()

  constructor(private readonly init: HostInit) {
    this.contender = createContender(init.contender)
  }

  handle(req: CoreRequest): CoreResponse {
    try {
      return this.answer(req)
    } catch (err) {
      return { op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }
    }
  }

  dispose(): void {
    this.contender.dispose?.()
  }

  private answer(req: CoreRequest): CoreResponse {
    const c = this.contender
    switch (req.op) {
      case 'info':
        return {
          op: 'info',
          name: c.name,
          description: c.description,
          patch: typeof c.producePatch === 'function',
          bulk: typeof c.bulkLoad === 'function',
        }
      case 'example': {
        const [first, second] = readmeExample()
        c.setup()
        const m1 = c.produce(first)
        c.consume(m1)
        const m2 = c.produce(second)
        c.consume(m2)
        verify(c, new Map([[keyId(second.key), second]]))
        return { op: 'example', msg1: m1.length, msg2: m2.length }
      }
      case 'rep': {
        const { w, expected } = this.workload(req.workload)
        const { rep, messages, initialMean } = runRep(c, w, expected, { patch: req.patch === true })
        return { op: 'rep', rep, sizes: req.sizes ? messages.map((m) => m.length) : null, initialMean }
      }
      case 'scale': {
        const key = `scale-${req.records}-${req.updates}`
        let entry = this.scaled.get(key)
        if (!entry) {
          // one update for each of `updates` distinct records, whatever the cache's size
          const w = largeCache(req.records, 1, req.updates / req.records, this.init.seed + 5)
          entry = { w, expected: finalState(w) }
          this.scaled.clear()
          this.scaled.set(key, entry)
        }
        return { op: 'scale', rep: runRep(c, entry.w, entry.expected, { bulk: true }).rep }
      }
      case 'catchup': {
        const { expected } = this.workload(req.workload)
        return { op: 'catchup', catchUp: catchUp(c, expected) }
      }
    }
  }

  private workload(name: WorkloadName): { w: Workload; expected: Map<string, BenchRecord> } {
    let entry = this.workloads.get(name)
    if (!entry) {
      const w = buildWorkload(name, this.init.config, this.init.seed)
      entry = { w, expected: finalState(w) }
      this.workloads.set(name, entry)
    }
    return entry
  }
}
