import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

/*
 * How busy the machine was with other work during a window: busy CPU time of the whole machine
 * (/proc/stat) minus the CPU time of this suite's own processes (/proc/<pid>/stat), as a share of
 * the machine's capacity. Linux only (null elsewhere); the kernel counts in 10 ms ticks, so only
 * windows of a few hundred ms mean something.
 */

const TICK_US = 10_000

/** Busy CPU time of the whole machine so far, in µs (Linux /proc/stat), or null elsewhere. */
export function machineBusyUs(): number | null {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return null
    const [user, nice, system, , , irq, softirq, steal] = f as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ]
    return (user + nice + system + irq + softirq + steal) * TICK_US
  } catch {
    return null
  }
}

/** utime + stime of a process (all its threads), µs, or null. */
function processCpuUs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(rest[11])
    const stime = Number(rest[12])
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * TICK_US : null
  } catch {
    return null
  }
}

interface Sample {
  t: number
  busyUs: number | null
  oursUs: number | null
}

/** Measures other processes' share of the machine between `start()` and `stop()`. */
export class OtherLoad {
  constructor(private readonly pids: () => ReadonlyArray<number | undefined>) {}

  sample(): Sample {
    let oursUs: number | null = 0
    for (const pid of this.pids()) {
      const us = pid === undefined ? null : processCpuUs(pid)
      oursUs = us === null || oursUs === null ? null : oursUs + us
    }
    return { t: performance.now(), busyUs: machineBusyUs(), oursUs }
  }

  /** Share (0..1) of all cores used by other processes between two samples, or null. */
  between(a: Sample, b: Sample): number | null {
    if (a.busyUs === null || b.busyUs === null || a.oursUs === null || b.oursUs === null) return null
    const wallUs = (b.t - a.t) * 1000
    if (wallUs <= 0) return null
    return Math.max(0, b.busyUs - a.busyUs - (b.oursUs - a.oursUs)) / (wallUs * availableParallelism())
  }
}
