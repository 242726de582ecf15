/*
 * One contender's producer streaming the auction ticks in its own process (`memory-suite.ts` forks
 * one per contender with --expose-gc), so that no other contender's heap, WASM memory or garbage
 * counts against it. Reports a sample at each checkpoint over IPC, so a run stopped by its time
 * budget keeps what it measured.
 */
import { keyId, type BenchRecord, type Contender } from '../contender.js'
import { createContender } from '../contenders/index.js'
import { verify } from '../core-measure.js'
import { AuctionTicks } from '../workloads/auction.js'
import type { ChildReport, MemoryJob, MemoryPoint } from './protocol.js'

const send = (msg: ChildReport): void => {
  process.send!(msg)
}

/**
 * Lets the event loop turn: FinalizationRegistry callbacks (which free the WASM side of Loro's and
 * Automerge's JS handles) only run between tasks, so a loop that never yields keeps every handle.
 */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function settle(): Promise<NodeJS.MemoryUsage> {
  // Collect, let the finalizers of what was collected run, collect what they released.
  globalThis.gc?.()
  await turn()
  globalThis.gc?.()
  await turn()
  return process.memoryUsage()
}

async function sample(
  c: Contender,
  gen: AuctionTicks,
  updates: number,
  /** Whether a newcomer restores a state of this many bytes here. */
  restore: (stateBytes: number) => boolean,
  usPerUpdate: number,
  t0: number,
): Promise<MemoryPoint> {
  const mem = await settle()
  let t = performance.now()
  const state = c.snapshot()
  const encodeMs = performance.now() - t
  const compact = (c as { compactSnapshot?: () => Uint8Array }).compactSnapshot?.()
  let restoreMs: number | null = null
  if (restore(state.length)) {
    globalThis.gc?.()
    t = performance.now()
    const read = c.restore(state)
    restoreMs = performance.now() - t
    const expected = new Map<string, BenchRecord>(gen.records().map((r) => [keyId(r.key), r]))
    verify(c, expected, read)
  }
  return {
    updates,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    stateBytes: state.length,
    encodeMs,
    compactStateBytes: compact ? compact.length : null,
    restoreMs,
    usPerUpdate,
    elapsedS: (performance.now() - t0) / 1000,
  }
}

async function run(job: MemoryJob): Promise<void> {
  const c = createContender(job.contender)
  c.setup()
  const gen = new AuctionTicks(job.auctions, job.seed)
  if (c.load) c.load(gen.initial)
  else for (const r of gen.initial) c.produce(r)
  const t0 = performance.now()
  send({ type: 'ready', name: c.name, baseline: await sample(c, gen, 0, () => false, NaN, t0) })
  const left = (): number => job.budgetMs - (performance.now() - t0)
  let done = 0
  /** Restore time per state byte at the last catch-up, to skip one predicted to take too long. */
  let restoreMsPerByte = 0
  for (const at of job.checkpoints) {
    if (at > job.updates) break
    const from = done
    const s0 = performance.now()
    // The budget is checked inside the segment too: a contender can slow down by 10× as its history grows.
    let over = false
    while (done < at && !over) {
      const stop = Math.min(at, done + 1024)
      for (; done < stop; done++) c.produce(gen.next())
      await turn()
      over = left() <= 0
    }
    const usPerUpdate = ((performance.now() - s0) * 1000) / Math.max(1, done - from)
    const wanted = job.catchUpAt.includes(at) && !over
    const point = await sample(
      c,
      gen,
      done,
      (n) => wanted && restoreMsPerByte * n < Math.min(job.restoreCapMs, left()),
      usPerUpdate,
      t0,
    )
    if (point.restoreMs !== null) restoreMsPerByte = point.restoreMs / point.stateBytes
    send({ type: 'point', point })
    if (over) {
      send({ type: 'done', reason: 'budget', updates: done })
      return
    }
  }
  send({ type: 'done', reason: 'complete', updates: done })
}

process.once('message', async (job: MemoryJob) => {
  try {
    await run(job)
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  }
  // Leave once everything sent has been flushed to the parent.
  process.send!({ type: 'exit' } satisfies ChildReport, () => process.disconnect())
})
