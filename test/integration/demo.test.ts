// The two console demos: `npm run demo:core` (core API) and `npm run demo` (rooms over WebRTC).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })

test('npm run demo:core: the core demo streams auctions and reports the saving', () => {
  const r = run('scripts/core-demo.mjs', ['--seconds', '1'])
  assert.equal(r.status, 0, r.stderr)
  const saving = Number(/saving ([\d.]+)%\s*$/m.exec(r.stdout)?.[1])
  assert.ok(saving > 50, r.stdout)
})

test('npm run demo: a producer and two consumers over WebRTC, with the saving per second', { timeout: 90_000 }, () => {
  const r = run('scripts/demo.mjs', ['--seconds', '6', '--rate', '500'])
  assert.equal(r.status, 0, r.stderr)
  const lines = r.stdout.split('\n').filter((l) => /updates\s+diffs/.test(l))
  assert.ok(lines.length >= 2, r.stdout)
  const last = lines[lines.length - 1]!
  assert.match(last, /consumer-1: [1-9]\d* changes, 100 records \| consumer-2: [1-9]\d* changes, 100 records/)
  assert.ok(Number(/saving ([\d.]+)%/.exec(last)?.[1]) > 50, last)
})
