/**
 * The core suite's speed rows (issue 15): a path write inside the 10 MB record (`patch` next to raw
 * Yjs setting the same field), the per-update cost of a 50 000-record cache next to a 1 000-record
 * one, and the goals that compare DiffStream with the engine underneath it — each printed as a ratio
 * against raw Yjs, with Loro and JSON Patch in the same run for scale.
 */
import type { CatchUp, CoreRequest, CoreResponse, Rep } from './core-measure.js'
import { fmt, markdownTable, median } from './report.js'
import type { Check } from './suite.js'

/** What the speed rows need of a contender host. */
export interface SpeedHost {
  name: string
  patch: boolean
  bulk: boolean
  ask(req: CoreRequest): Promise<CoreResponse>
}

/** Per-update medians of one contender on one measurement. */
export interface SpeedRow {
  contender: string
  /** µs per update: produce, consume, both (wall time); thread CPU of both. */
  produce: number
  consume: number
  total: number
  threadCpu: number
  reps: number
}

export interface ScalingRow extends SpeedRow {
  records: number
}

/** The subset of the core suite's per-contender results the goals read. */
export interface CoreResult {
  contender: string
  usPerUpdate: { produce: number; consume: number; total: number; threadCpu: number }
  catchUp: CatchUp
}

const DS = 'DiffStream'
const YJS = 'raw Yjs'
const LORO = 'Loro'
const JP = 'JSON Patch (original)'

function row(contender: string, reps: readonly Rep[], updates: number): SpeedRow {
  const per = (ns: number): number => ns / updates / 1000
  return {
    contender,
    produce: median(reps.map((r) => per(r.produceNs))),
    consume: median(reps.map((r) => per(r.consumeNs))),
    total: median(reps.map((r) => per(r.produceNs + r.consumeNs))),
    threadCpu: median(reps.map((r) => (r.threadCpuNs === null ? NaN : per(r.threadCpuNs)))),
    reps: reps.length,
  }
}

async function reps(host: SpeedHost, req: CoreRequest, count: number): Promise<Rep[]> {
  const out: Rep[] = []
  for (let i = 0; i <= count; i++) {
    const res = await host.ask(req)
    if (res.op === 'error') throw new Error(`${host.name}: ${res.message}`)
    const rep = res.op === 'rep' || res.op === 'scale' ? res.rep : null
    if (!rep) throw new Error(`${host.name} answered ${res.op}`)
    if (i > 0 || count === 0) out.push(rep) // the first is a warm-up unless it is the only one
  }
  return out
}

/** The big record's updates as path writes, for every contender that has them. */
export async function measurePatch(hosts: readonly SpeedHost[], updates: number, count: number): Promise<SpeedRow[]> {
  const out: SpeedRow[] = []
  for (const h of hosts.filter((x) => x.patch)) {
    out.push(
      row(h.name, await reps(h, { op: 'rep', workload: 'big-record', sizes: false, patch: true }, count), updates),
    )
  }
  return out
}

/** The same updates into a cache of each size in `sizes`, for every contender that loads in bulk. */
export async function measureScaling(
  hosts: readonly SpeedHost[],
  sizes: readonly number[],
  updates: number,
  count: number,
): Promise<ScalingRow[]> {
  const out: ScalingRow[] = []
  for (const h of hosts.filter((x) => x.bulk)) {
    for (const records of sizes) {
      out.push({ ...row(h.name, await reps(h, { op: 'scale', records, updates }, count), updates), records })
    }
  }
  return out
}

const x = (v: number): string => `${fmt(v, 2)}×`
const us = (v: number): string => fmt(v, v < 10 ? 2 : 1)
const time = (v: number): string => (v >= 1000 ? `${fmt(v / 1000, 2)} ms` : `${us(v)} µs`)

/** "vs raw Yjs a×, Loro b×, JSON Patch c×" for one value of DiffStream's against the same of others. */
function against(ds: number, value: (name: string) => number | undefined): string {
  return [YJS, LORO, JP]
    .map((n) => {
      const v = value(n)
      return v === undefined || !Number.isFinite(v) ? null : `${n} ${time(v)} (${x(ds / v)})`
    })
    .filter((s) => s !== null)
    .join(', ')
}

/** The goals of issue 15, from one run. */
export function speedChecks(
  byWorkload: (name: string) => readonly CoreResult[],
  patch: readonly SpeedRow[],
  scaling: readonly ScalingRow[],
): Check[] {
  const find = (rs: readonly { contender: string }[], name: string) => rs.find((r) => r.contender === name)
  const checks: Check[] = []
  const ratioCheck = (goal: string, workload: string, limit: number): void => {
    const rs = byWorkload(workload)
    const ds = find(rs, DS) as CoreResult | undefined
    const yjs = find(rs, YJS) as CoreResult | undefined
    if (!ds || !yjs) return
    const r = ds.usPerUpdate.total / yjs.usPerUpdate.total
    checks.push({
      goal: `${goal} ≤ ${limit}× raw Yjs`,
      pass: r <= limit,
      detail:
        `DiffStream ${time(ds.usPerUpdate.total)} per update = ${x(r)} raw Yjs; ` +
        against(ds.usPerUpdate.total, (n) => (find(rs, n) as CoreResult | undefined)?.usPerUpdate.total) +
        `; thread CPU ${x(ds.usPerUpdate.threadCpu / yjs.usPerUpdate.threadCpu)} raw Yjs`,
    })
  }
  ratioCheck(
    'Cost follows the change: one field inside the big record (10 MB in a full run), update(record), produce + consume',
    'big-record',
    3,
  )
  const pDs = find(patch, DS) as SpeedRow | undefined
  const pYjs = find(patch, YJS) as SpeedRow | undefined
  if (pDs && pYjs) {
    const r = pDs.total / pYjs.total
    checks.push({
      goal: 'Cost follows the change: the same field as a path write (DiffStream patch vs raw Yjs setting it), produce + consume ≤ 3× raw Yjs',
      pass: r <= 3,
      detail: `DiffStream ${time(pDs.total)} vs raw Yjs ${time(pYjs.total)} per update = ${x(r)}; thread CPU ${x(pDs.threadCpu / pYjs.threadCpu)}`,
    })
  }
  const sDs = scaling.filter((s) => s.contender === DS).sort((a, b) => a.records - b.records)
  if (sDs.length >= 2) {
    const small = sDs[0]!
    const large = sDs[sDs.length - 1]!
    const r = large.total / small.total
    const yjs = scaling.filter((s) => s.contender === YJS).sort((a, b) => a.records - b.records)
    const yjsRatio = yjs.length >= 2 ? yjs[yjs.length - 1]!.total / yjs[0]!.total : NaN
    const yjsCpuRatio = yjs.length >= 2 ? yjs[yjs.length - 1]!.threadCpu / yjs[0]!.threadCpu : NaN
    checks.push({
      goal: `Cost follows the change: per-update cost with ${large.records} records ≤ 1.3× the cost with ${small.records}`,
      pass: r <= 1.3,
      detail:
        `DiffStream ${time(large.total)} vs ${time(small.total)} = ${x(r)} (thread CPU ${x(large.threadCpu / small.threadCpu)}); ` +
        `raw Yjs in the same run: ${x(yjsRatio)} (thread CPU ${x(yjsCpuRatio)})`,
    })
  }
  ratioCheck('Facade overhead: auction, produce + consume', 'auction', 1.3)
  ratioCheck('Facade overhead: large cache (10 000 records), produce + consume', 'large-cache', 1.5)
  for (const [workload, label] of [
    ['large-cache', 'the large cache'],
    ['big-record', 'the big record (10 MB in a full run)'],
  ] as const) {
    const rs = byWorkload(workload)
    const ds = find(rs, DS) as CoreResult | undefined
    const yjs = find(rs, YJS) as CoreResult | undefined
    if (!ds || !yjs) continue
    const total = (m: CoreResult): number => m.catchUp.encodeMs + m.catchUp.restoreMs
    const r = total(ds) / total(yjs)
    checks.push({
      goal: `Catch-up: encode + restore of ${label} ≤ 1.2× raw Yjs`,
      pass: r <= 1.2,
      detail:
        `DiffStream ${fmt(total(ds), 1)} ms (encode ${fmt(ds.catchUp.encodeMs, 1)}, restore ${fmt(ds.catchUp.restoreMs, 1)}) = ${x(r)} raw Yjs ${fmt(total(yjs), 1)} ms; ` +
        [LORO, JP]
          .map((n) => {
            const m = find(rs, n) as CoreResult | undefined
            return m ? `${n} ${fmt(total(m), 1)} ms (${x(total(ds) / total(m))})` : null
          })
          .filter((s) => s !== null)
          .join(', '),
    })
  }
  return checks
}

/** The speed rows as Markdown sections of the core report. */
export function renderSpeed(patch: readonly SpeedRow[], scaling: readonly ScalingRow[], updates: number): string {
  const lines: string[] = []
  if (patch.length > 0) {
    lines.push(
      '## A path write inside the 10 MB record',
      '',
      markdownTable(
        ['contender', 'produce', 'consume', 'total', 'thread CPU', 'reps'],
        patch.map((r) => [
          r.contender,
          time(r.produce),
          time(r.consume),
          time(r.total),
          time(r.threadCpu),
          String(r.reps),
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right'],
      ),
      '',
      "The big record's updates again, given as what changed (`{ lots: { [item]: { last_bid } } }`): DiffStream's " +
        '`producer.patch(key, partial)`, raw Yjs writing the same fields into the nested maps. Consume as in the ' +
        'main table (DiffStream returns a copy of the record, so its consume includes copying 10 MB).',
      '',
    )
  }
  if (scaling.length > 0) {
    lines.push(
      '## Per-update cost against the size of the cache',
      '',
      markdownTable(
        ['contender', 'records', 'produce µs', 'consume µs', 'total µs', 'thread CPU µs', 'reps'],
        scaling.map((r) => [
          r.contender,
          String(r.records),
          us(r.produce),
          us(r.consume),
          us(r.total),
          us(r.threadCpu),
          String(r.reps),
        ]),
        ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
      '',
      `The large-cache records (~300 B), loaded in bulk (untimed), then ${updates} updates of ${updates} distinct records; ` +
        'the same updates per record whatever the size, so a flat row means the cost follows the change, not the cache.',
      '',
    )
  }
  return lines.join('\n')
}
