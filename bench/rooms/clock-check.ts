import { median } from '../report.js'
import type { PeerProcess } from './child.js'
import { nowUs, wallUs } from './clock.js'

/* Checks that every process of the rooms suite reads the same monotonic clock (latency spans processes). */

export interface ClockCheck {
  process: string
  rounds: number
  /** IPC round trip (parent → child → parent), µs: median and minimum. */
  ipcRttUsMedian: number
  ipcRttUsMin: number
  /** Child stamps outside [parent before, parent after]: must be 0 for a shared clock. */
  monoViolations: number
  /** Child − parent offset at the fastest round, µs (a round trip bounds it by ±RTT/2). */
  monoOffsetUs: number
  /** The same for `performance.timeOrigin + performance.now()`. */
  wallViolations: number
  wallOffsetUs: number
}

export async function clockCheck(p: PeerProcess, rounds: number): Promise<ClockCheck> {
  const rows: Array<{ rtt: number; mono: number; wall: number; monoOut: boolean; wallOut: boolean }> = []
  for (let i = 0; i < rounds; i++) {
    const m0 = nowUs()
    const w0 = wallUs()
    const { stamp } = await p.ask({ op: 'clock' }, 'clock')
    const w2 = wallUs()
    const m2 = nowUs()
    rows.push({
      rtt: m2 - m0,
      mono: stamp.monoUs - (m0 + m2) / 2,
      wall: stamp.wallUs - (w0 + w2) / 2,
      monoOut: stamp.monoUs < m0 || stamp.monoUs > m2,
      wallOut: stamp.wallUs < w0 || stamp.wallUs > w2,
    })
  }
  const best = rows.reduce((a, b) => (b.rtt < a.rtt ? b : a))
  return {
    process: p.label,
    rounds,
    ipcRttUsMedian: median(rows.map((r) => r.rtt)),
    ipcRttUsMin: best.rtt,
    monoViolations: rows.filter((r) => r.monoOut).length,
    monoOffsetUs: best.mono,
    wallViolations: rows.filter((r) => r.wallOut).length,
    wallOffsetUs: best.wall,
  }
}
