/**
 * A live chart of what this machine's edits cost as diffs against what sending the whole record
 * as JSON would have cost, both cumulative since joining.
 */
import type { Controller, Sample } from '../controller.js'
import { h, replaceChildren, svg } from '../dom.js'
import { formatBytes } from '../format.js'
import type { View } from './view.js'

const W = 320
const H = 120
const PAD = 4

function points(samples: Sample[], pick: (s: Sample) => number, max: number): string {
  if (samples.length === 0) return ''
  const t0 = samples[0]!.t
  const span = Math.max(1, samples[samples.length - 1]!.t - t0)
  return samples
    .map((s) => {
      const x = PAD + ((s.t - t0) / span) * (W - 2 * PAD)
      const y = H - PAD - (pick(s) / max) * (H - 2 * PAD)
      return `${x.toFixed(1)},${y.toFixed(1)}`
    })
    .join(' ')
}

export function chartView(ctl: Controller): View {
  const plot = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart-svg',
    role: 'img',
    'aria-label': 'Bytes as diffs against full JSON',
  })
  const diff = h('strong', { testid: 'chart-diff-bytes' })
  const json = h('strong', { testid: 'chart-json-bytes' })
  const saving = h('strong', { testid: 'chart-saving' })
  const wire = h('span', { class: 'muted small', testid: 'chart-wire' })

  const render = (): void => {
    const samples = ctl.state.samples
    const last = samples[samples.length - 1]
    const d = last?.diffBytes ?? 0
    const j = last?.jsonBytes ?? 0
    diff.textContent = formatBytes(d)
    json.textContent = formatBytes(j)
    saving.textContent = j > 0 ? `${(100 * (1 - d / j)).toFixed(0)}%` : '–'
    wire.textContent = last
      ? `On the wire: ${formatBytes(last.bytesSent)} sent, ${formatBytes(last.bytesReceived)} received (all peers, sync and presence included)`
      : ''
    const max = Math.max(1, ...samples.map((s) => Math.max(s.jsonBytes, s.diffBytes)))
    const grid = [0.25, 0.5, 0.75].map((f) =>
      svg('line', { x1: 0, x2: W, y1: PAD + f * (H - 2 * PAD), y2: PAD + f * (H - 2 * PAD), class: 'grid' }),
    )
    replaceChildren(
      plot,
      ...grid,
      svg('polyline', { points: points(samples, (s) => s.jsonBytes, max), class: 'line-json', fill: 'none' }),
      svg('polyline', { points: points(samples, (s) => s.diffBytes, max), class: 'line-diff', fill: 'none' }),
      j > 0
        ? svg('text', { x: W - PAD, y: 12, class: 'axis', 'text-anchor': 'end' }, formatBytes(max))
        : svg('text', { x: W / 2, y: H / 2, class: 'axis', 'text-anchor': 'middle' }, 'Your edits will be drawn here'),
    )
  }
  render()
  const off = ctl.store.watch(['samples'], render)
  const el = h(
    'section',
    { class: 'panel chart', testid: 'chart' },
    h('div', { class: 'panel-head' }, h('h2', { text: 'Your edits: diffs vs. full JSON' })),
    plot,
    h(
      'div',
      { class: 'legend' },
      h('span', { class: 'key key-diff' }, 'Diffs ', diff),
      h('span', { class: 'key key-json' }, 'Full JSON ', json),
      h('span', { class: 'key' }, 'Saving ', saving),
    ),
    wire,
  )
  return { el, dispose: off }
}
