// Runs every TypeScript example in README.md and in the packages' READMEs as its own program, so
// the READMEs stay true.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const READMES = ['README.md', 'core/README.md', 'signaling/README.md']
const examples = READMES.flatMap((file) =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m, i) => ({
    file,
    n: i + 1,
    code: m[1]!,
  })),
)

test('every README has examples', () => {
  for (const file of READMES) {
    const count = examples.filter((e) => e.file === file).length
    assert.ok(count >= (file === 'README.md' ? 4 : 1), `${file}: ${count} examples`)
  }
})

// Inside the repository, so that '@diffstream/core' resolves through the workspace.
const dir = mkdtempSync(join(root, 'test', '.readme-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

examples.forEach(({ file: readme, n, code }, i) => {
  const title =
    code
      .split('\n')
      .find((l) => l.includes('DiffCache.'))
      ?.trim() ?? `example ${n}`
  test(`${readme} example ${n}: ${title}`, () => {
    const file = join(dir, `example-${i + 1}.ts`)
    writeFileSync(file, code)
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' })
    assert.equal(run.status, 0, `${readme} example ${n} failed:\n${run.stderr}`)
  })
})
