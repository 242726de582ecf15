#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner; TypeScript is loaded through tsx.
// Node 20's --test takes no globs, so the files are listed here. Pass a substring to run a subset.
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const filter = process.argv[2] ?? ''

function collect(dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'fixtures') continue
    if (statSync(path).isDirectory()) out.push(...collect(path))
    else if (/\.test\.(ts|mts|js|mjs)$/.test(name)) out.push(path)
  }
  return out
}

const files = collect(join(root, 'test')).filter((f) => relative(root, f).includes(filter))
if (files.length === 0) {
  console.error(`no test files match "${filter}"`)
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)
