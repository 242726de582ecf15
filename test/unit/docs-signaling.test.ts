// docs/signaling.md lists every close reason and every log event the server has: both are read
// from signaling/src, so a new one fails here until it is documented.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const srcDir = join(root, 'signaling', 'src')
const source = readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(srcDir, f), 'utf8'))
  .join('\n')
const doc = readFileSync(join(root, 'docs', 'signaling.md'), 'utf8')

test('docs/signaling.md lists every close reason the server sends', () => {
  const reasons = new Set([
    ...[...source.matchAll(/reason: '([^']+)'/g)].map((m) => m[1]!),
    ...[...source.matchAll(/\binvalid\('([^']+)'\)/g)].map((m) => `invalid message: ${m[1]}`),
  ])
  assert.ok(reasons.size >= 8, `found ${[...reasons].join(', ')}`)
  const missing = [...reasons].filter((r) => !doc.includes(`\`${r}\``))
  assert.deepEqual(missing, [], 'reasons in signaling/src that docs/signaling.md does not list')
})

test('docs/signaling.md lists every log event', () => {
  const events = new Set([
    ...[...source.matchAll(/\blog\.(?:debug|info|warn|error)\('([\w-]+)'/g)].map((m) => m[1]!),
    ...[...source.matchAll(/\bevent: '([\w-]+)'/g)].map((m) => m[1]!),
  ])
  assert.ok(events.size >= 8, `found ${[...events].join(', ')}`)
  const table = doc.slice(doc.indexOf('## Logs'))
  const missing = [...events].filter((e) => !new RegExp(`^\\| \`${e}\``, 'm').test(table) && !table.includes(`/ \`${e}\``))
  assert.deepEqual(missing, [], 'log events in signaling/src that the Logs table of docs/signaling.md does not list')
})
