import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'
import type { ResourceWindow } from './protocol.js'

/** Garbage collections seen by this process, kept as (end time, duration) pairs. */
const gcs: Array<{ endMs: number; durationMs: number }> = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as PerformanceEntry[]) gcs.push({ endMs: e.startTime + e.duration, durationMs: e.duration })
  if (gcs.length > 100_000) gcs.splice(0, gcs.length - 50_000)
}).observe({ entryTypes: ['gc'] })

/** Measures CPU, GC and event-loop delay of this process from construction to `end()`. */
export class ResourceMeter {
  private readonly t0 = performance.now()
  private readonly cpu0 = process.cpuUsage()
  private readonly loop = monitorEventLoopDelay({ resolution: 1 })

  constructor() {
    this.loop.enable()
  }

  /** Ends the window. GC entries are delivered asynchronously, so call it after a turn of the loop. */
  end(): ResourceWindow {
    this.loop.disable()
    const t1 = performance.now()
    const cpu = process.cpuUsage(this.cpu0)
    const inWindow = gcs.filter((g) => g.endMs >= this.t0 && g.endMs <= t1)
    const ms = (ns: number): number => ns / 1e6
    return {
      wallMs: t1 - this.t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      gcCount: inWindow.length,
      gcMs: inWindow.reduce((a, g) => a + g.durationMs, 0),
      gcMaxMs: inWindow.reduce((a, g) => Math.max(a, g.durationMs), 0),
      loopDelayP99Ms: this.loop.count > 0 ? ms(this.loop.percentile(99)) : NaN,
      loopDelayMaxMs: this.loop.count > 0 ? ms(this.loop.max) : NaN,
    }
  }
}
