/**
 * The API report: for each public entry point, API Extractor writes what it exports (every
 * signature, as the shipped .d.ts has it) to `api/<entry>.api.md`, which is committed. Run after
 * `npm run build`:
 *   node --import tsx scripts/api-report.ts            check: fails if an export changed, lost its docs, or uses
 *                                          a type the entry point does not export
 *   node --import tsx scripts/api-report.ts --update   rewrite the reports (npm run api:update), then commit them
 * Links between entry points are checked by TypeDoc (npm run docs), which sees all of them at once.
 */
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage } from '@microsoft/api-extractor'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const reportFolder = join(root, 'api')
const UPDATE_COMMAND = 'npm run api:update'

/** Every entry point of every published package (the `exports` maps of core/ and signaling/). */
export interface Entry {
  /** File name of its report in api/, without `.api.md`. */
  report: string
  /** The package folder. */
  pkg: 'core' | 'signaling'
  /** Its declarations, relative to the package folder (after `npm run build`). */
  dts: string
  /** How users import it. */
  importPath: string
}

export const ENTRIES: readonly Entry[] = [
  { report: 'core', pkg: 'core', dts: 'dist/index.d.ts', importPath: '@diffstream/core' },
  { report: 'core-net', pkg: 'core', dts: 'dist/net/index.d.ts', importPath: '@diffstream/core/net' },
  { report: 'core-node', pkg: 'core', dts: 'dist/node.d.ts', importPath: '@diffstream/core/node' },
  { report: 'signaling', pkg: 'signaling', dts: 'dist/index.d.ts', importPath: '@diffstream/signaling' },
]

/** Messages that fail the check; everything else API Extractor says is shown but does not. */
const ERRORS = new Set(['ae-undocumented', 'ae-forgotten-export', 'ae-incompatible-release-tags'])

function configFor(entry: Entry, tempFolder: string): ExtractorConfig {
  const projectFolder = join(root, entry.pkg)
  return ExtractorConfig.prepare({
    configObject: {
      projectFolder,
      mainEntryPointFilePath: join(projectFolder, entry.dts),
      compiler: { tsconfigFilePath: join(projectFolder, 'tsconfig.json') },
      apiReport: {
        enabled: true,
        reportFileName: `${entry.report}.api.md`,
        reportFolder,
        reportTempFolder: tempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
        extractorMessageReporting: {
          default: { logLevel: ExtractorLogLevel.Warning },
          // No release tags (@public/@beta): every export of an entry point is public.
          'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
          // Links across entry points (core/net naming core's errors) are TypeDoc's to check.
          'ae-unresolved-link': { logLevel: ExtractorLogLevel.None },
          ...Object.fromEntries(
            [...ERRORS].map((id) => [id, { logLevel: ExtractorLogLevel.Error, addToApiReportFile: false }]),
          ),
        },
        tsdocMessageReporting: {
          default: { logLevel: ExtractorLogLevel.Error },
          // `@module @diffstream/core` names an entry point for TypeDoc; TSDoc reads the `@` as a tag.
          'tsdoc-characters-after-block-tag': { logLevel: ExtractorLogLevel.None },
        },
      },
    },
    configObjectFullPath: join(projectFolder, 'api-extractor.json'),
    packageJsonFullPath: join(projectFolder, 'package.json'),
  })
}

/** A line diff of two reports (longest common subsequence), with one line of context: what changed. */
function changedLines(a: string, b: string): string[] {
  const x = a.split('\n')
  const y = b.split('\n')
  const n = x.length
  const m = y.length
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      i++
      j++
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push(`  + ${y[j++]}`)
    else out.push(`  - ${x[i++]}`)
  }
  return out
}

/** Runs API Extractor on every entry point; returns the problems found (none: the reports match). */
export function runApiReport({
  update = false,
  log = console.error,
}: { update?: boolean; log?: (line: string) => void } = {}): string[] {
  const temp = mkdtempSync(join(tmpdir(), 'diffstream-api-'))
  if (update) mkdirSync(reportFolder, { recursive: true })
  const problems: string[] = []
  try {
    for (const entry of ENTRIES) {
      if (!existsSync(join(root, entry.pkg, entry.dts))) {
        problems.push(`${entry.importPath}: ${entry.pkg}/${entry.dts} is missing; run npm run build first`)
        continue
      }
      const reportPath = join(reportFolder, `${entry.report}.api.md`)
      const before = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : null
      const messages: string[] = []
      const result = Extractor.invoke(configFor(entry, temp), {
        localBuild: update,
        messageCallback: (m: ExtractorMessage) => {
          // Handled here: the summary below says what to do.
          if (m.messageId.startsWith('console-api-report-')) {
            m.handled = true
            return
          }
          if (m.logLevel === ExtractorLogLevel.Error || m.logLevel === ExtractorLogLevel.Warning) {
            const where = m.sourceFilePath ? `${m.sourceFilePath.replace(root, '')}:${m.sourceFileLine}: ` : ''
            messages.push(`  ${m.logLevel} ${where}(${m.messageId}) ${m.text}`)
          }
          // Errors and warnings are printed above; the rest (version notices) is noise here.
          m.handled = true
        },
      })
      for (const line of messages) log(line)
      if (result.errorCount > 0) {
        problems.push(
          `${entry.importPath}: ${result.errorCount} error(s) above (an export without TSDoc, or a type used by an ` +
            'export that the entry point does not export)',
        )
      }
      const after = existsSync(reportPath) && update ? readFileSync(reportPath, 'utf8') : readTemp(temp, entry)
      if (!update && after !== null && after !== before) {
        const diff = before === null ? ['  (no committed report)'] : changedLines(before, after)
        problems.push(
          `${entry.importPath}: the public API differs from api/${entry.report}.api.md:\n${diff.slice(0, 60).join('\n')}` +
            (diff.length > 60 ? `\n  … ${diff.length - 60} more lines` : ''),
        )
      } else if (update && after !== before) {
        log(`wrote api/${entry.report}.api.md`)
      }
    }
  } finally {
    rmSync(temp, { recursive: true, force: true })
  }
  return problems
}

function readTemp(temp: string, entry: Entry): string | null {
  const path = join(temp, `${entry.report}.api.md`)
  return existsSync(path) ? readFileSync(path, 'utf8') : null
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const update = process.argv.includes('--update')
  const problems = runApiReport({ update })
  if (problems.length > 0) {
    console.error(`\nAPI report ${update ? 'update' : 'check'} failed:\n${problems.map((p) => `- ${p}`).join('\n')}`)
    if (!update)
      console.error(
        `\nIf the change is intended: document it (TSDoc), then run \`${UPDATE_COMMAND}\` and commit api/*.api.md.`,
      )
    process.exit(1)
  }
  console.error(update ? 'API reports are up to date in api/.' : 'API reports match the build (api/*.api.md).')
}
