import { readdirSync, readFileSync } from 'node:fs'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { nowUs } from './clock.js'
import type { ResourceWindow } from './protocol.js'

/** Garbage collections seen by this process, as (end time, duration) pairs, ms on `performance.now()`. */
const gcs: Array<{ endMs: number; durationMs: number }> = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ endMs: e.startTime + e.duration, durationMs: e.duration })
  if (gcs.length > 100_000) gcs.splice(0, gcs.length - 50_000)
}).observe({ entryTypes: ['gc'] })

/** Summed GC pauses that ended between two `performance.now()` times, ms (call after a turn of the event loop). */
export function gcPauseMs(fromMs: number, toMs: number): number {
  return gcs.filter((g) => g.endMs >= fromMs && g.endMs <= toMs).reduce((a, g) => a + g.durationMs, 0)
}

interface ThreadStat {
  name: string
  /** On-CPU and run-queue wait time, ns (Linux schedstat). */
  cpuNs: number
  waitNs: number
}

/** Per thread of this process: its name and schedstat times, or null where /proc is missing. */
function threadStats(): Map<string, ThreadStat> | null {
  try {
    const out = new Map<string, ThreadStat>()
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const [cpu, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number)
        const name =
          tid === String(process.pid) ? 'main (JS)' : readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
        if (Number.isFinite(cpu) && Number.isFinite(wait)) out.set(tid, { name, cpuNs: cpu!, waitNs: wait! })
      } catch {
        // the thread ended meanwhile
      }
    }
    return out
  } catch {
    return null
  }
}

/** Measures CPU, scheduling, GC and event-loop delay of this process from construction to `end()`. */
export class ResourceMeter {
  private readonly t0 = performance.now()
  private readonly cpu0 = process.cpuUsage()
  private readonly threads0 = threadStats()
  private readonly loop = monitorEventLoopDelay({ resolution: 5 })

  constructor() {
    this.loop.enable()
  }

  /** Ends the window. GC entries are delivered asynchronously: call it after a turn of the event loop. */
  end(): ResourceWindow {
    this.loop.disable()
    const t1 = performance.now()
    const cpu = process.cpuUsage(this.cpu0)
    const threads1 = threadStats()
    let runQueueWaitMs = NaN
    let mainRunQueueWaitMs = NaN
    const threadCpuMs: Record<string, number> = {}
    if (this.threads0 && threads1) {
      runQueueWaitMs = 0
      for (const [tid, t] of threads1) {
        const before = this.threads0.get(tid)
        const waitMs = (t.waitNs - (before?.waitNs ?? 0)) / 1e6
        runQueueWaitMs += waitMs
        if (t.name === 'main (JS)') mainRunQueueWaitMs = waitMs
        threadCpuMs[t.name] = (threadCpuMs[t.name] ?? 0) + (t.cpuNs - (before?.cpuNs ?? 0)) / 1e6
      }
    }
    const inWindow = gcs.filter((g) => g.endMs >= this.t0 && g.endMs <= t1)
    // performance.now() ms → the shared clock's µs.
    const offsetUs = nowUs() - performance.now() * 1000
    return {
      wallMs: t1 - this.t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      runQueueWaitMs,
      mainRunQueueWaitMs,
      threadCpuMs,
      gcCount: inWindow.length,
      gcMs: inWindow.reduce((a, g) => a + g.durationMs, 0),
      gcMaxMs: inWindow.reduce((a, g) => Math.max(a, g.durationMs), 0),
      gcStartUs: Float64Array.from(inWindow, (g) => offsetUs + (g.endMs - g.durationMs) * 1000),
      gcEndUs: Float64Array.from(inWindow, (g) => offsetUs + g.endMs * 1000),
      loopDelayP99Ms: this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : NaN,
      loopDelayMaxMs: this.loop.count > 0 ? this.loop.max / 1e6 : NaN,
    }
  }
}
