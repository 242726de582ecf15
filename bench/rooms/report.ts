import { barChartSvg, type Chart } from '../charts.js'
import { fmt, markdownTable } from '../report.js'
import type { Check } from '../suite.js'
import type { ClockCheck } from './clock-check.js'
import {
  GOAL_P50_MS,
  GOAL_P99_MS,
  GOAL_SYNC_SHARE,
  MB,
  RAMP_P99_LIMIT_MS,
  RATE,
  type BulkRun,
  type RoomsConfig,
  type SyncSet,
} from './config.js'
import { CONTENDED } from './retrier.js'
import type { ResourceWindow } from './protocol.js'
import type { Summary } from './stats.js'
import type { StreamResult } from './stream.js'

/* The rooms suite's goal checks, headline, charts and formatting helpers (the full report is render.ts). */

export const ms = (v: number): string => fmt(v, v < 10 ? 3 : 1)
export const pct = (v: number | null): string => (v === null ? '?' : `${fmt(100 * v, 0)}%`)

export const lostCell = (s: StreamResult): string => `${s.lost} / ${s.coalesced}`

export function latencyRow(name: string, s: Summary, extra: readonly string[]): string[] {
  return [name, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), String(s.n), ...extra]
}

export function resourceCells(r: ResourceWindow): string[] {
  return [
    `${fmt((100 * r.cpuMs) / r.wallMs, 0)}%`,
    `${fmt((100 * r.runQueueWaitMs) / r.wallMs, 0)}% / ${fmt((100 * r.mainRunQueueWaitMs) / r.wallMs, 0)}%`,
    `${r.gcCount} / ${fmt(r.gcMs, 1)} ms / ${fmt(r.gcMaxMs, 2)} ms`,
    `${fmt(r.loopDelayP99Ms, 2)} / ${fmt(r.loopDelayMaxMs, 2)}`,
  ]
}

export function sustained(s: StreamResult): boolean {
  return s.achievedRate >= 0.95 * s.targetRate && s.lost === 0 && s.latencyMs.p99 <= RAMP_P99_LIMIT_MS
}

export interface Report {
  config: RoomsConfig
  machine: Record<string, unknown>
  clocks: ClockCheck[]
  raw: StreamResult
  rawWrite: StreamResult
  rttMs: Summary
  bulk: BulkRun[]
  room: StreamResult
  timer: StreamResult | null
  warmup: StreamResult
  ramp: StreamResult[]
  syncs: SyncSet[]
  checks: Check[]
  warnings: string[]
  discarded: Array<{ what: string; otherLoad: number }>
  quick: boolean
}

export function goalChecks(
  room: StreamResult,
  raw: StreamResult,
  syncs: readonly SyncSet[],
  bulkMbPerSec: number,
): Check[] {
  const busy = (s: { otherLoad: number | null }): string =>
    s.otherLoad !== null && s.otherLoad > CONTENDED
      ? `; other processes used ${pct(s.otherLoad)} of the machine meanwhile`
      : ''
  const checks: Check[] = [
    {
      goal: `room latency p50 ≤ ${GOAL_P50_MS} ms at ${RATE} updates/s (producer update() → consumer change event, separate processes)`,
      pass: room.latencyMs.p50 <= GOAL_P50_MS && room.lost === 0,
      detail:
        `p50 ${ms(room.latencyMs.p50)} ms over ${room.latencyMs.n} updates at ${fmt(room.achievedRate, 0)}/s` +
        `${room.lost > 0 ? `, ${room.lost} lost` : ''}; raw data channel one way in the same run: p50 ${ms(raw.latencyMs.p50)} ms${busy(room)}`,
    },
    {
      goal: `room latency p99 ≤ ${GOAL_P99_MS} ms at ${RATE} updates/s`,
      pass: room.latencyMs.p99 <= GOAL_P99_MS && room.lost === 0,
      detail:
        `p99 ${ms(room.latencyMs.p99)} ms, max ${ms(room.latencyMs.max)} ms; raw data channel one way p99 ${ms(raw.latencyMs.p99)} ms` +
        `; from the scheduled send time p99 ${ms(room.fromIntendedMs.p99)} ms${busy(room)}`,
    },
  ]
  for (const s of syncs) {
    const ok = s.runs.every((r) => r.digestOk)
    checks.push({
      goal:
        `initial sync ≥ 2/3 of the raw data channel (${fmt(GOAL_SYNC_SHARE * bulkMbPerSec, 1)} MB/s in this run; ` +
        `${s.set === 'many' ? `${s.records} records of ~10 KB` : 'one ~10 MB record'}, join → synced + all records present)`,
      pass: s.mbPerSec >= GOAL_SYNC_SHARE * bulkMbPerSec && ok,
      detail:
        `${fmt(s.mbPerSec, 2)} MB/s = ${fmt(s.mbPerSec / bulkMbPerSec, 2)} of the raw channel: ${fmt(s.jsonBytes / MB, 2)} MB of JSON in ${ms(s.totalMs)} ms (median of ${s.runs.length}); ` +
        `${fmt(s.mbPerSecAfterConnect, 2)} MB/s from the WebRTC connection; the raw data channel alone carries ${fmt(bulkMbPerSec, 1)} MB/s` +
        `${ok ? '' : '; COPY DIFFERS from the producer'}`,
    })
  }
  return checks
}

/** The headline for latest.md: latency next to the raw channel, the ramp's verdict, sync throughput. */
export function roomsSummary(r: Report, bulkMbPerSec: number): string {
  const rows = [
    ['raw data channel, send()', r.raw],
    ['raw data channel, write() as rooms send', r.rawWrite],
    ['**DiffStream room**: update() → change event', r.room],
  ] as const
  const latency = markdownTable(
    ['1 producer → 1 consumer at 1 000/s', 'p50 ms', 'p99 ms', 'max ms', 'samples'],
    rows.map(([name, s]) => [name, ms(s.latencyMs.p50), ms(s.latencyMs.p99), ms(s.latencyMs.max), String(s.count)]),
    ['left', 'right', 'right', 'right', 'right'],
  )
  const steps = [r.room, ...r.ramp].filter(sustained)
  const highest = steps.length > 0 ? Math.max(...steps.map((s) => s.achievedRate)) : null
  const sync = r.syncs
    .map(
      (s) =>
        `${s.set === 'many' ? `${s.records} records of 10 KB` : 'one 10 MB record'}: ${fmt(s.mbPerSec, 2)} MB/s join → synced ` +
        `(${fmt(s.mbPerSecAfterConnect, 2)} MB/s from the connection)`,
    )
    .join('; ')
  return [
    latency,
    '',
    `Highest sustained rate (1 → 1): ${r.ramp.length === 0 ? 'no ramp in this run' : highest === null ? `none of ${[r.room, ...r.ramp].map((s) => `${s.targetRate}/s (p99 ${ms(s.latencyMs.p99)} ms)`).join(', ')}; the ramp stops at the first rate not sustained` : `${fmt(highest, 0)} updates/s`}. ` +
      `Newcomer initial sync over WebRTC: ${sync}; the raw channel alone carries ${fmt(bulkMbPerSec, 1)} MB/s.`,
  ].join('\n')
}

export function roomsCharts(r: Report, bulkMbPerSec: number): Chart[] {
  const note = `${r.quick ? 'smoke run (--quick), ' : ''}two processes, loopback WebRTC · ${String(r.machine['date']).slice(0, 10)}`
  const q = ['p50', 'p90', 'p99'] as const
  const lat = [
    { name: 'raw data channel, send()', s: r.raw },
    { name: 'raw data channel, write()', s: r.rawWrite },
    { name: 'DiffStream room', s: r.room },
  ]
  return [
    {
      name: 'rooms-latency',
      title: 'WebRTC latency at 1 000 updates/s, producer process → consumer process',
      svg: barChartSvg({
        title: 'WebRTC latency at 1 000 updates/s, producer process → consumer process',
        yLabel: 'ms',
        groups: [...q],
        series: lat.map(({ name, s }) => ({ name, values: q.map((k) => s.latencyMs[k]) })),
        log: true,
        note,
      }),
    },
    {
      name: 'rooms-sync',
      title: 'Newcomer initial sync over WebRTC (10 MB of JSON)',
      svg: barChartSvg({
        title: 'Newcomer initial sync over WebRTC (10 MB of JSON)',
        yLabel: 'MB/s',
        groups: r.syncs.map((s) => (s.set === 'many' ? '1 000 records × 10 KB' : '1 record of 10 MB')),
        series: [
          { name: 'room: join → synced', values: r.syncs.map((s) => s.mbPerSec) },
          { name: 'room: connected → synced', values: r.syncs.map((s) => s.mbPerSecAfterConnect) },
          { name: 'raw data channel (bulk, 16 KiB messages)', values: r.syncs.map(() => bulkMbPerSec) },
        ],
        note,
      }),
    },
  ]
}

/** A deep copy fit for JSON: typed arrays (GC pause times) become plain arrays. */
export function plainJson(v: unknown): unknown {
  if (v instanceof Float64Array) return Array.from(v, (x) => Math.round(x * 10) / 10)
  if (Array.isArray(v)) return v.map(plainJson)
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainJson(x)]))
  }
  return v
}
