// The IndexedDB store in Debian's Chromium: the browser bundle of @diffstream/core in a real page,
// with raw IndexedDB next to it to check what was committed and to damage records.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js'
import { serveFixturePage, type FixturePage } from '../helpers/fixture-page.js'
import type { storeApi } from './fixtures/store-page.js'

type Api = typeof storeApi
const skip = skipWithoutChromium()
let fixture: FixturePage | undefined
let browser: Browser
let context: BrowserContext

before(async () => {
  if (skip) return
  fixture = await serveFixturePage(new URL('./fixtures/store-page.ts', import.meta.url), 'store')
  // The browser bundle must not pull in the file store (or anything else Node-only).
  assert.doesNotMatch(fixture.js, /node:fs|openFileStore/)
  browser = await launchChromium()
  // One context: its pages are tabs of one origin, sharing IndexedDB and Web Locks.
  context = await browser.newContext()
})

after(async () => {
  await browser?.close()
  fixture?.close()
})

async function tab(): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (e) => assert.fail(`page error: ${String(e)}`))
  await page.goto(fixture!.url)
  await page.waitForFunction(() => (globalThis as { storeApi?: unknown }).storeApi !== undefined)
  return page
}

/** Calls `storeApi[method](...args)` in the page. */
function call<K extends keyof Api>(
  page: Page,
  method: K,
  ...args: Parameters<Api[K]>
): Promise<Awaited<ReturnType<Api[K]>>> {
  return page.evaluate(
    ([m, a]) =>
      (globalThis as unknown as { storeApi: Record<string, (...x: unknown[]) => unknown> }).storeApi[m]!(...a),
    [method, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<Api[K]>>>
}

/** A test of this file: skipped without Chromium, and given a minute. */
function storeTest(name: string, fn: () => Promise<void>): void {
  test(name, { skip, timeout: 60_000 }, fn)
}

/** The value of a successful outcome; fails the test with the page's error otherwise. */
function ok<T>(outcome: { ok: true; value: T } | { ok: false; error: string; message: string }): T {
  if (!outcome.ok) assert.fail(`${outcome.error}: ${outcome.message}`)
  return outcome.value
}

storeTest('round trip, one transaction per tick, and append resolves only once committed', async () => {
  const page = await tab()
  assert.match(await call(page, 'userAgent'), /Chrome/)
  assert.equal(await call(page, 'hasLocks'), true)
  const opened = ok(await call(page, 'open', 'a', 'round-trip'))
  assert.deepEqual(opened, { state: { snapshot: null, frames: [], repaired: null }, exclusive: true })

  const frames = Array.from({ length: 20 }, (_, i) => Array.from({ length: i * 10 }, (_, j) => (i + j) & 0xff))
  const seen = ok(await call(page, 'appendTogether', 'a', 'round-trip', frames))
  assert.deepEqual(seen, { seenBefore: 0, resolvedEarly: false, seenAfter: 20 })
  const stats = await call(page, 'stats', 'a')
  assert.equal(stats.flushes, 1, '20 appends in one tick share one transaction')
  assert.equal(stats.largestBatch, 20)
  assert.equal(
    stats.size,
    frames.reduce((n, f) => n + f.length, 0),
  )
  assert.deepEqual(ok(await call(page, 'load', 'a')), { snapshot: null, frames, repaired: null })
  ok(await call(page, 'close', 'a'))

  // Reopened by another tab: the same frames, in order.
  const other = await tab()
  assert.deepEqual(ok(await call(other, 'open', 'b', 'round-trip')).state, { snapshot: null, frames, repaired: null })
  const refused = await call(other, 'appendBig', 'b', 65 * 1024 * 1024)
  assert.deepEqual(refused.ok ? null : refused.error, 'StoreLimitError')
  ok(await call(other, 'close', 'b'))
  await Promise.all([page.close(), other.close()])
})

storeTest('compaction replaces everything in one transaction', async () => {
  const page = await tab()
  ok(await call(page, 'open', 'c', 'compaction'))
  ok(await call(page, 'append', 'c', [1]))
  ok(await call(page, 'append', 'c', [2]))
  ok(await call(page, 'compact', 'c', [9, 9, 9]))
  ok(await call(page, 'append', 'c', [3]))
  assert.deepEqual(ok(await call(page, 'load', 'c')), { snapshot: [9, 9, 9], frames: [[3]], repaired: null })
  assert.equal((await call(page, 'stats', 'c')).size, 4)
  assert.equal(await call(page, 'rawFrames', 'compaction'), 1, 'the compacted frames are gone from the database')
  ok(await call(page, 'close', 'c'))
  ok(await call(page, 'open', 'c2', 'compaction'))
  assert.deepEqual(ok(await call(page, 'load', 'c2')), { snapshot: [9, 9, 9], frames: [[3]], repaired: null })
  ok(await call(page, 'close', 'c2'))
  await page.close()
})

storeTest('acknowledged frames survive a page reload without close()', async () => {
  const page = await tab()
  ok(await call(page, 'open', 'r', 'reload'))
  ok(await call(page, 'compact', 'r', [7]))
  assert.equal(ok(await call(page, 'appendMany', 'r', 300)), 300)
  await page.reload() // the store is never closed; the reload also drops its lock
  await page.waitForFunction(() => (globalThis as { storeApi?: unknown }).storeApi !== undefined)
  const state = ok(await call(page, 'open', 'r', 'reload')).state
  assert.deepEqual(state.snapshot, [7])
  assert.deepEqual(
    state.frames,
    Array.from({ length: 300 }, (_, i) => [i & 0xff, i >> 8]),
  )
  assert.equal(state.repaired, null)
  ok(await call(page, 'close', 'r'))
  await page.close()
})

storeTest(
  'a second open, in another tab or the same one, fails with StoreLockedError while the first holds it',
  async () => {
    const first = await tab()
    const second = await tab()
    ok(await call(first, 'open', 'l1', 'locked'))
    const elsewhere = await call(second, 'open', 'l2', 'locked')
    assert.equal(elsewhere.ok ? 'opened' : elsewhere.error, 'StoreLockedError')
    assert.match(elsewhere.ok ? '' : elsewhere.message, /open in another tab/)
    const here = await call(first, 'open', 'l3', 'locked')
    assert.equal(here.ok ? 'opened' : here.error, 'StoreLockedError')
    ok(await call(first, 'close', 'l1'))
    ok(await call(second, 'open', 'l2', 'locked')) // released by close
    // Closing the tab releases it too, once the browser has torn the tab down: poll, with a deadline.
    await second.close()
    const deadline = Date.now() + 10_000
    for (;;) {
      const outcome = await call(first, 'open', 'l4', 'locked')
      if (outcome.ok) break
      assert.equal(outcome.error, 'StoreLockedError')
      assert.ok(Date.now() < deadline, 'the closed tab never released its lock')
      await new Promise((r) => setTimeout(r, 50))
    }
    ok(await call(first, 'close', 'l4'))
    // Without Web Locks the store still opens, and says it is not exclusive.
    assert.equal(ok(await call(first, 'open', 'l5', 'locked', { noLocks: true })).exclusive, false)
    ok(await call(first, 'close', 'l5'))
    await first.close()
  },
)

storeTest('damaged records: a bad frame is cut and reported, a bad snapshot or foreign database refused', async () => {
  const page = await tab()
  ok(await call(page, 'open', 'd', 'damaged'))
  for (let i = 0; i < 5; i++) ok(await call(page, 'append', 'd', [i, i, i]))
  ok(await call(page, 'close', 'd'))
  ok(await call(page, 'damageFrame', 'damaged', 2))
  const repaired = ok(await call(page, 'open', 'd', 'damaged')).state
  assert.deepEqual(repaired.frames, [
    [0, 0, 0],
    [1, 1, 1],
  ])
  assert.match(repaired.repaired ?? '', /cut 3 frames after 2 good ones: frame 2: checksum mismatch \(3 bytes\)/)
  ok(await call(page, 'append', 'd', [5])) // the store keeps working after the cut
  ok(await call(page, 'close', 'd'))
  assert.deepEqual(ok(await call(page, 'open', 'd', 'damaged')).state, {
    snapshot: null,
    frames: [[0, 0, 0], [1, 1, 1], [5]],
    repaired: null,
  })
  ok(await call(page, 'close', 'd'))
  ok(await call(page, 'replaceFrame', 'damaged', 0, 'a string'))
  const shape = ok(await call(page, 'open', 'd', 'damaged')).state
  assert.deepEqual(shape.frames, [])
  assert.match(shape.repaired ?? '', /frame 0: not a record \(string\)/)
  ok(await call(page, 'close', 'd'))

  for (const [damage, error, message] of [
    ['flip', 'StoreCorruptError', /damaged snapshot: checksum mismatch/],
    ['string', 'StoreCorruptError', /damaged snapshot: not a record/],
    ['newer', 'StoreVersionError', /format version 2/],
  ] as const) {
    const name = `snapshot-${damage}`
    ok(await call(page, 'open', 's', name))
    ok(await call(page, 'compact', 's', [1, 2, 3]))
    ok(await call(page, 'close', 's'))
    ok(await call(page, 'damageSnapshot', name, damage))
    const outcome = await call(page, 'open', 's', name)
    assert.equal(outcome.ok ? 'opened' : outcome.error, error)
    assert.match(outcome.ok ? '' : outcome.message, message)
    // The refused open released its lock: a second try meets the same error, not StoreLockedError.
    const again = await call(page, 'open', 's', name)
    assert.equal(again.ok ? 'opened' : again.error, error)
  }

  ok(await call(page, 'makeForeign', 'foreign', 'other-stores'))
  const foreign = await call(page, 'open', 'f', 'foreign')
  assert.deepEqual(foreign.ok ? null : [foreign.error, /not a DiffStream store/.test(foreign.message)], [
    'StoreCorruptError',
    true,
  ])
  ok(await call(page, 'makeForeign', 'newer', 'newer'))
  const newer = await call(page, 'open', 'n', 'newer')
  assert.deepEqual(newer.ok ? null : [newer.error, /format version 5/.test(newer.message)], ['StoreVersionError', true])
  await page.close()
})
