// @diffstream/core runs unchanged in a browser: bundled for the browser with esbuild and run in
// Debian's Chromium through playwright-core.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js'
import { serveFixturePage, type FixturePage } from '../helpers/fixture-page.js'

const skip = skipWithoutChromium()
let fixture: FixturePage | undefined
let browser: Browser

before(async () => {
  if (skip) return
  fixture = await serveFixturePage(new URL('./fixtures/core-page.ts', import.meta.url), 'core')
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  fixture?.close()
})

test('the core facade runs unchanged in Chromium', { skip, timeout: 60_000 }, async () => {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(fixture!.url)
  await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, {
    timeout: 20_000,
  })
  const result = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as Record<string, unknown>
  assert.deepEqual(errors, [])
  assert.match(String(result.userAgent), /Chrome/)
  assert.equal(result.cmd, 'upd')
  assert.equal(result.key, 314159)
  assert.ok((result.secondBytes as number) <= 40)
  assert.equal(result.gap, 'PatchMismatchError')
  assert.equal(result.hostile, 'InvalidMessageError')
  assert.deepEqual(result.final, result.expected)
})
