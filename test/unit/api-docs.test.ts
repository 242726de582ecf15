// The public API as committed (api/*.api.md, API Extractor) and its reference (TypeDoc): an export
// that changes, loses its TSDoc or uses an unexported type fails here until the report is updated.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runApiReport } from '../../scripts/api-report.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('the API reports in api/ match the build, and every export is documented', () => {
  const output: string[] = []
  const problems = runApiReport({ log: (line: string) => output.push(line) })
  assert.deepEqual(
    problems,
    [],
    `${output.join('\n')}\n\nIf the change is intended: document it, run \`npm run api:update\` and commit api/*.api.md.`,
  )
})

test('npm run docs: TypeDoc builds the reference of every entry point with no warning', () => {
  // --emit none: the same conversion and validation (undocumented, not exported, broken links), no HTML.
  const run = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--emit', 'none'], {
    cwd: root,
    encoding: 'utf8',
  })
  const output = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '')
  assert.equal(run.status, 0, output)
  assert.doesNotMatch(output, /\[warning\]|\[error\]/, output)
})
