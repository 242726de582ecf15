// @diffstream/core runs unchanged in a browser: bundled for the browser with esbuild and run in
// Debian's Chromium through playwright-core.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser } from 'playwright-core'
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js'

const skip = skipWithoutChromium()
let server: Server
let url = ''
let browser: Browser

before(async () => {
  if (skip) return
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/core-page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
  })
  const js = bundle.outputFiles[0]!.text
  const html = '<!doctype html><meta charset="utf-8"><title>core</title><script type="module" src="/core-page.js"></script>'
  server = createServer((req, res) => {
    if (req.url === '/core-page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  server?.close()
})

test('the core facade runs unchanged in Chromium', { skip, timeout: 60_000 }, async () => {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(url)
  await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 20_000 })
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
