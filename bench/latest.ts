import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Chart } from './charts.js'
import { RESULTS_DIR } from './report.js'
import type { Suite } from './suite.js'

/*
 * `bench/results/latest.md` and `latest.json`: every registered suite's headline and charts on one
 * page, from the result files on disk, so running one suite refreshes its section and keeps the
 * others' last figures (each section says when it was measured).
 */

export const CHARTS_DIR = join(RESULTS_DIR, 'charts')

/** Writes the charts as `charts/<name><suffix>.svg`; returns their paths. */
export function writeCharts(charts: readonly Chart[], suffix: string): string[] {
  mkdirSync(CHARTS_DIR, { recursive: true })
  return charts.map((c) => {
    const file = join(CHARTS_DIR, `${c.name}${suffix}.svg`)
    writeFileSync(file, c.svg)
    return file
  })
}

interface Stored {
  data: Record<string, unknown>
  summary: string | null
  date: string
  durationS: number | null
}

function load(file: string): Stored | null {
  if (!existsSync(file)) return null
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    const machine = data['machine'] as Record<string, unknown> | undefined
    return {
      data,
      summary: typeof data['summaryMarkdown'] === 'string' ? data['summaryMarkdown'] : null,
      date: typeof machine?.['date'] === 'string' ? machine['date'] : 'unknown date',
      durationS: typeof data['durationS'] === 'number' ? data['durationS'] : null,
    }
  } catch {
    return null
  }
}

/** Rebuilds `latest<suffix>.md` and `.json` from the suites' result files; returns their paths. */
export function writeLatest(suites: readonly Suite[], quick: boolean): string[] {
  const suffix = quick ? '-quick' : ''
  const sections: string[] = []
  const raw: Record<string, unknown> = {}
  for (const s of suites) {
    const stored = load(join(RESULTS_DIR, `${s.name}${suffix}.json`))
    sections.push(`## ${s.name}`, '', `*${s.description}*`, '')
    if (!stored) {
      sections.push(`Not run yet: \`npm run bench -- --suite ${s.name}${quick ? ' --quick' : ''}\`.`, '')
      continue
    }
    raw[s.name] = stored.data
    sections.push(
      `Measured ${stored.date}${stored.durationS === null ? '' : ` in ${stored.durationS.toFixed(0)} s`} · ` +
        `[full report](${s.name}${suffix}.md) · [raw numbers](${s.name}${suffix}.json)`,
      '',
      stored.summary ?? 'See the full report.',
      '',
    )
  }
  const md = [
    `# DiffStream benchmarks: latest results${quick ? ' (smoke run, `--quick`)' : ''}`,
    '',
    `Written by \`npm run bench${quick ? ' -- --quick' : ''}\`: the headline of each suite, with when it last ran and how long it took; ` +
      'the full reports explain the method. How to read them: [bench/README.md](../README.md).',
    '',
    ...sections,
  ].join('\n')
  const mdFile = join(RESULTS_DIR, `latest${suffix}.md`)
  const jsonFile = join(RESULTS_DIR, `latest${suffix}.json`)
  writeFileSync(mdFile, md.endsWith('\n') ? md : md + '\n')
  writeFileSync(jsonFile, JSON.stringify({ generated: new Date().toISOString(), quick, suites: raw }, null, 2) + '\n')
  return [mdFile, jsonFile]
}
