// Runs every @example of the reference as its own program, as the shipped .d.ts files show them to
// users (and TypeDoc renders them), so that the examples stay true.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

function dtsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return dtsFiles(path)
    return name.endsWith('.d.ts') ? [path] : []
  })
}

const examples = [...dtsFiles(join(root, 'core', 'dist')), ...dtsFiles(join(root, 'signaling', 'dist'))].flatMap(
  (file) =>
    [...readFileSync(file, 'utf8').matchAll(/@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g)].map((m) => ({
      where: file.slice(root.length),
      code: m[1]!.replace(/^\s*\* ?/gm, ''),
    })),
)

test('the reference has examples', () => {
  assert.ok(examples.length >= 6, `${examples.length} examples`)
})

const dir = mkdtempSync(join(root, 'test', '.readme-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

examples.forEach(({ where, code }, i) => {
  test(`@example in ${where}`, () => {
    const file = join(dir, `api-example-${i + 1}.ts`)
    writeFileSync(file, code)
    const run = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    assert.equal(run.status, 0, `${where}:\n${code}\n${run.stderr}`)
  })
})
