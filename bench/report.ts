import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Check } from './suite.js'

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results')

export type Align = 'left' | 'right'

/** A GitHub-flavoured Markdown table. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const sep = headers.map((_, i) => (align[i] === 'right' ? '---:' : ':---'))
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(headers), `| ${sep.join(' | ')} |`, ...rows.map(line)].join('\n')
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** A number with `digits` decimals, or with fewer for large values. */
export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return String(n)
  if (Math.abs(n) >= 1000) return n.toFixed(0)
  if (Math.abs(n) >= 100) return n.toFixed(Math.min(digits, 1))
  return n.toFixed(digits)
}

export function checkLine(c: Check): string {
  return `${c.pass ? 'PASS' : 'FAIL'}: ${c.goal} (${c.detail})`
}

/** The version of an installed package: its package.json, found next to its resolved entry point. */
function packageVersion(name: string): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)))
    for (;;) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
        if (pkg.name === name) return typeof pkg.version === 'string' ? pkg.version : 'unknown'
      } catch {
        // no package.json here; keep walking up
      }
      const up = dirname(dir)
      if (up === dir) return 'unknown'
      dir = up
    }
  } catch {
    return 'unknown'
  }
}

/** Where the numbers were measured. */
export function machineInfo(packages: readonly string[] = []): Record<string, unknown> {
  const list = cpus()
  const versions: Record<string, string> = {}
  for (const p of packages) versions[p] = packageVersion(p)
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${platform()} ${release()} ${arch()}`,
    cpuModel: list[0]?.model ?? 'unknown',
    cpuCount: list.length,
    totalMemMiB: Math.round(totalmem() / 1024 / 1024),
    /** 1, 5 and 15 minute load averages when the suite started: other work on the machine skews timings. */
    loadAvgBefore: loadavg(),
    execArgv: process.execArgv,
    packages: versions,
  }
}

/** Writes `<dir>/<name>.json` and `<dir>/<name>.md`; returns their paths. */
export function writeResults(
  name: string,
  markdown: string,
  data: Record<string, unknown>,
  dir = RESULTS_DIR,
): string[] {
  mkdirSync(dir, { recursive: true })
  const json = join(dir, `${name}.json`)
  const md = join(dir, `${name}.md`)
  writeFileSync(json, JSON.stringify(data, null, 2) + '\n')
  writeFileSync(md, markdown.endsWith('\n') ? markdown : markdown + '\n')
  return [json, md]
}
