/*
 * Bar and line charts as standalone SVG text (no chart library is installed, and the results
 * directory should render on GitHub without scripts). Log scales use decade ticks, since the
 * contenders differ by orders of magnitude.
 */

/** A chart ready to be written as `bench/results/charts/<name>.svg`. */
export interface Chart {
  name: string
  title: string
  svg: string
}

export interface BarSeries {
  name: string
  color?: string
  /** One value per group; null = not measured (no bar, marked "n/a"). */
  values: readonly (number | null)[]
}

export interface BarChartSpec {
  title: string
  /** Axis label, with the unit. */
  yLabel: string
  groups: readonly string[]
  series: readonly BarSeries[]
  log?: boolean
  /** A line under the title (what was measured, how). */
  note?: string
}

export interface LineSeries {
  name: string
  color?: string
  points: ReadonlyArray<readonly [number, number]>
  dashed?: boolean
}

export interface LineChartSpec {
  title: string
  xLabel: string
  yLabel: string
  series: readonly LineSeries[]
  logX?: boolean
  logY?: boolean
  note?: string
}

/** Colour-blind-safe palette (Okabe–Ito, then Tol's muted), in series order. */
const COLORS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
  '#882255',
  '#44AA99',
  '#999933',
  '#AA4499',
]

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"'
const WIDTH = 960

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function colorOf(i: number): string {
  return COLORS[i % COLORS.length]!
}

/** One colour per contender in every chart, so a method is recognisable across figures. */
const CONTENDER_COLORS: Readonly<Record<string, string>> = {
  'full JSON': '#999999',
  'JSON Patch (original)': '#E69F00',
  'JSON Patch (in place)': '#F0E442',
  jsondiffpatch: '#CC79A7',
  'raw Yjs': '#56B4E9',
  Automerge: '#009E73',
  Loro: '#D55E00',
  'Loro shallow snapshot (history trimmed)': '#D55E00',
  DiffStream: '#0072B2',
  'DiffStream (compaction: false)': '#000000',
}

function seriesColor(s: { name: string; color?: string }, i: number): string {
  return s.color ?? CONTENDER_COLORS[s.name] ?? colorOf(i)
}

/** A short label for a tick value: 1.5k, 20M, 0.01. */
export function shortNumber(v: number): string {
  if (v === 0) return '0'
  const a = Math.abs(v)
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ]
  for (const [f, u] of units) if (a >= f) return `${trim(v / f)}${u}`
  return trim(v)
}

function trim(v: number): string {
  const a = Math.abs(v)
  const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2)
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s
}

interface Scale {
  map(v: number): number
  ticks: number[]
}

/** A linear or log10 scale from [lo, hi] onto [from, to] pixels. */
function scale(lo: number, hi: number, from: number, to: number, log: boolean): Scale {
  if (log) {
    const a = Math.floor(Math.log10(lo))
    const b = Math.max(a + 1, Math.ceil(Math.log10(hi)))
    const ticks: number[] = []
    for (let e = a; e <= b; e++) ticks.push(10 ** e)
    return {
      map: (v) => from + ((Math.log10(Math.max(v, 10 ** a)) - a) / (b - a)) * (to - from),
      ticks,
    }
  }
  const top = niceCeil(hi)
  const step = top / 5
  const ticks = Array.from({ length: 6 }, (_, i) => i * step)
  return { map: (v) => from + (v / top) * (to - from), ticks }
}

function niceCeil(v: number): number {
  if (v <= 0) return 1
  const e = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * e >= v) return m * e
  return 10 * e
}

function header(height: number, title: string, note: string | undefined): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="16" font-weight="600">${esc(title)}</text>`,
    ...(note ? [`<text x="${WIDTH / 2}" y="40" text-anchor="middle" fill="#555">${esc(note)}</text>`] : []),
  ]
}

/** A legend of coloured swatches in rows under the plot; returns its lines and height. */
function legend(
  series: ReadonlyArray<{ name: string; color?: string; dashed?: boolean }>,
  y: number,
): { lines: string[]; height: number } {
  const lines: string[] = []
  let x = 60
  let row = 0
  for (const [i, s] of series.entries()) {
    const name = s.name
    const w = 28 + name.length * 6.6
    if (x + w > WIDTH - 20) {
      x = 60
      row++
    }
    const yy = y + row * 18
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : ''
    lines.push(
      `<line x1="${x}" y1="${yy - 4}" x2="${x + 18}" y2="${yy - 4}" stroke="${seriesColor(s, i)}" stroke-width="6"${dash}/>`,
      `<text x="${x + 24}" y="${yy}">${esc(name)}</text>`,
    )
    x += w + 12
  }
  return { lines, height: (row + 1) * 18 }
}

/** Grouped bars: one group per workload (or case), one bar per series, values printed above. */
export function barChartSvg(spec: BarChartSpec): string {
  const all = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && v > 0))
  const log = spec.log ?? false
  const lo = all.length > 0 ? Math.min(...all) : 1
  const hi = all.length > 0 ? Math.max(...all) : 1
  const top = spec.note ? 60 : 48
  const plotH = 320
  const left = 80
  const right = WIDTH - 20
  const y = scale(log ? lo : 0, hi, top + plotH, top, log)
  const groupW = (right - left) / Math.max(1, spec.groups.length)
  const barW = Math.max(3, Math.min(28, (groupW - 16) / Math.max(1, spec.series.length)))
  const body: string[] = []
  for (const t of y.ticks) {
    const py = y.map(t)
    body.push(
      `<line x1="${left}" y1="${py}" x2="${right}" y2="${py}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${py + 4}" text-anchor="end" fill="#444">${shortNumber(t)}</text>`,
    )
  }
  const base = top + plotH
  for (const [g, group] of spec.groups.entries()) {
    const gx = left + g * groupW + (groupW - barW * spec.series.length) / 2
    for (const [i, s] of spec.series.entries()) {
      const v = s.values[g] ?? null
      const x = gx + i * barW
      if (v === null || !(v > 0)) {
        body.push(
          `<text x="${x + barW / 2}" y="${base - 4}" text-anchor="middle" font-size="9" fill="#999" transform="rotate(-90 ${x + barW / 2} ${base - 4})" dx="14">n/a</text>`,
        )
        continue
      }
      const py = y.map(v)
      body.push(
        `<rect x="${x + 1}" y="${py}" width="${barW - 2}" height="${Math.max(1, base - py)}" fill="${seriesColor(s, i)}"><title>${esc(`${s.name} · ${group}: ${trim(v)}`)}</title></rect>`,
      )
      if (barW >= 14)
        body.push(
          `<text x="${x + barW / 2}" y="${py - 3}" text-anchor="start" font-size="9" fill="#333" transform="rotate(-90 ${x + barW / 2} ${py - 3})">${shortNumber(v)}</text>`,
        )
    }
    body.push(`<text x="${left + g * groupW + groupW / 2}" y="${base + 18}" text-anchor="middle">${esc(group)}</text>`)
  }
  body.push(
    `<line x1="${left}" y1="${base}" x2="${right}" y2="${base}" stroke="#333"/>`,
    `<text x="18" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${top + plotH / 2})">${esc(spec.yLabel)}${log ? ' (log scale)' : ''}</text>`,
  )
  const leg = legend(spec.series, base + 44)
  const height = base + 44 + leg.height + 10
  return [...header(height, spec.title, spec.note), ...body, ...leg.lines, '</svg>', ''].join('\n')
}

/** Lines with markers, linear or log axes. */
export function lineChartSvg(spec: LineChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  const xs = pts.map(([x]) => x).filter((x) => !spec.logX || x > 0)
  const ys = pts.map(([, y]) => y).filter((y) => !spec.logY || y > 0)
  const top = spec.note ? 60 : 48
  const plotH = 340
  const left = 80
  const right = WIDTH - 30
  const base = top + plotH
  const xMin = xs.length > 0 ? Math.min(...xs) : 0
  const xMax = xs.length > 0 ? Math.max(...xs) : 1
  const yMin = ys.length > 0 ? Math.min(...ys) : 0
  const yMax = ys.length > 0 ? Math.max(...ys) : 1
  const sx = scale(spec.logX ? xMin : 0, xMax, left, right, spec.logX ?? false)
  const sy = scale(spec.logY ? yMin : 0, yMax, base, top, spec.logY ?? false)
  const body: string[] = []
  for (const t of sy.ticks) {
    const py = sy.map(t)
    body.push(
      `<line x1="${left}" y1="${py}" x2="${right}" y2="${py}" stroke="#e5e5e5"/>`,
      `<text x="${left - 6}" y="${py + 4}" text-anchor="end" fill="#444">${shortNumber(t)}</text>`,
    )
  }
  for (const t of sx.ticks) {
    const px = sx.map(t)
    body.push(
      `<line x1="${px}" y1="${top}" x2="${px}" y2="${base}" stroke="#f0f0f0"/>`,
      `<text x="${px}" y="${base + 16}" text-anchor="middle" fill="#444">${shortNumber(t)}</text>`,
    )
  }
  for (const [i, s] of spec.series.entries()) {
    const ok = s.points.filter(
      ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0) && (!spec.logY || y > 0),
    )
    if (ok.length === 0) continue
    const d = ok.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${sx.map(x).toFixed(1)},${sy.map(y).toFixed(1)}`).join(' ')
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : ''
    const color = seriesColor(s, i)
    body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`)
    for (const [x, y] of ok)
      body.push(
        `<circle cx="${sx.map(x).toFixed(1)}" cy="${sy.map(y).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.name}: ${trim(x)} → ${trim(y)}`)}</title></circle>`,
      )
  }
  body.push(
    `<line x1="${left}" y1="${base}" x2="${right}" y2="${base}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${base}" stroke="#333"/>`,
    `<text x="${(left + right) / 2}" y="${base + 36}" text-anchor="middle">${esc(spec.xLabel)}${spec.logX ? ' (log scale)' : ''}</text>`,
    `<text x="18" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${top + plotH / 2})">${esc(spec.yLabel)}${spec.logY ? ' (log scale)' : ''}</text>`,
  )
  const leg = legend(spec.series, base + 62)
  const height = base + 62 + leg.height + 10
  return [...header(height, spec.title, spec.note), ...body, ...leg.lines, '</svg>', ''].join('\n')
}

/** Markdown image links to the charts, as seen from `bench/results/`. */
export function chartLinks(list: readonly Chart[], suffix: string): string {
  return list.map((c) => `![${c.title}](charts/${c.name}${suffix}.svg)`).join('\n')
}
