// Runs every TypeScript example in README.md as its own program, so the README stays true.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)

test('the README has examples', () => {
  assert.ok(examples.length >= 4, `${examples.length} examples`)
})

// Inside the repository, so that '@diffstream/core' resolves through the workspace.
const dir = mkdtempSync(join(root, 'test', '.readme-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

examples.forEach((code, i) => {
  const title = code.split('\n').find((l) => l.includes('DiffCache.'))?.trim() ?? `example ${i + 1}`
  test(`README example ${i + 1}: ${title}`, () => {
    const file = join(dir, `example-${i + 1}.ts`)
    writeFileSync(file, code)
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' })
    assert.equal(run.status, 0, `example ${i + 1} failed:\n${run.stderr}`)
  })
})
