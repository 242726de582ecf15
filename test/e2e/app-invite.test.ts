// Private rooms in the app, end to end in Chromium (web mode, real signaling server, separate
// browser profiles as separate devices): a device creates a room and becomes its writer; a writer
// invite brings a second device that writes too; a read-only invite (opened as a link) brings a
// third that receives everything and whose edit controls are disabled; broken invite codes are
// refused on the join screen with a clear message and nothing else happens.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join as joinPath } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js'
import { startWebAppServer, type WebAppServer } from '../helpers/app-web-server.js'

const skip = skipWithoutChromium()
const shots = fileURLToPath(new URL('screenshots', import.meta.url))
const shot = (page: Page, name: string) => page.screenshot({ path: joinPath(shots, name) })
let server: WebAppServer | undefined
let browser: Browser | undefined
const contexts: BrowserContext[] = []
const problems: string[] = []

before(async () => {
  if (skip) return
  mkdirSync(shots, { recursive: true })
  server = await startWebAppServer()
  // Host candidates instead of mDNS names: contexts on one machine then pair without a resolver.
  browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns'])
})

after(async () => {
  await browser?.close()
  await server?.close()
})

/** A new device (browser profile) on the app, at `hash` (an invite link) if given. */
async function device(label: string, hash = ''): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } })
  contexts.push(context)
  const page = await context.newPage()
  page.on('pageerror', (e) => problems.push(`${label}: ${String(e)}`))
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text()))
      problems.push(`${label} console ${m.type()}: ${m.text()}`)
  })
  await page.goto(`${server!.url}${hash}`)
  await page.waitForSelector('[data-testid="join-form"]')
  return page
}

const row = (path: string): string => `[data-testid="field-row"][data-path="${path}"]`
const valueOf = (path: string): string => `${row(path)} [data-testid="field-value"]`

async function addField(page: Page, name: string, kind: string, value: string): Promise<void> {
  await page.fill('[data-testid="new-field-name"]', name)
  await page.selectOption('[data-testid="new-field-type"]', kind)
  await page.fill('[data-testid="new-field-value"]', value)
  await page.click('[data-testid="new-field-add"]')
  await page.waitForSelector(row(name))
}

async function selectRecord(page: Page, key: string): Promise<void> {
  const item = `[data-testid="record-item"][data-key="${key}"]`
  await page.waitForSelector(item, { timeout: 20_000 })
  await page.click(item)
  await page.waitForFunction((k) => document.querySelector('[data-testid="editor-key"]')?.textContent === k, key)
}

async function waitValue(page: Page, path: string, value: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    ([sel, v]) => document.querySelector<HTMLInputElement>(sel!)?.value === v,
    [valueOf(path), value] as const,
    { timeout },
  )
}

async function inviteCode(page: Page, kind: 'writer' | 'reader'): Promise<string> {
  await page.click('[data-testid="invite-open"]')
  await page.click(`[data-testid="invite-kind-${kind}"]`)
  await page.waitForSelector(`[data-testid="invite-dialog"][data-kind="${kind}"]`)
  const code = await page.inputValue('[data-testid="invite-code"]')
  await page.click('[data-testid="invite-close"]')
  await page.waitForSelector('[data-testid="invite-dialog"]', { state: 'detached' })
  return code
}

async function access(page: Page): Promise<string | null> {
  return page.getAttribute('[data-testid="access-state"]', 'data-state')
}

const room = `private-${randomUUID().slice(0, 8)}`
let ann: Page
let bob: Page
let carol: Page
let writerCode = ''
let readerCode = ''

test(
  'a new room is private and this device is its writer; it hands out writer and read-only invites',
  { skip, timeout: 60_000 },
  async () => {
    ann = await device('ann')
    // Private is the default mode of the join screen.
    assert.equal(await ann.getAttribute('[data-testid="join-form"]', 'data-mode'), 'create')
    assert.equal(await ann.isVisible('[data-testid="join-password"]'), false)
    await ann.fill('[data-testid="join-room"]', room)
    await ann.fill('[data-testid="join-name"]', 'Ann')
    await shot(ann, '20-private-room-create.png')
    await ann.click('[data-testid="join-submit"]')
    await ann.waitForSelector('[data-testid="room-screen"]', { timeout: 20_000 })
    assert.equal(await access(ann), 'writer')
    writerCode = await inviteCode(ann, 'writer')
    readerCode = await inviteCode(ann, 'reader')
    assert.match(writerCode, /^ds1\.[A-Za-z0-9_-]+$/)
    assert.match(readerCode, /^ds1\.[A-Za-z0-9_-]+$/)
    assert.ok(writerCode.length > readerCode.length, 'only the writer invite carries the key')
    // The dialog shows the desktop link and, in a browser, the address that opens the invite.
    await ann.click('[data-testid="invite-open"]')
    assert.equal(await ann.textContent('[data-testid="invite-link"]'), `diffstream://join?code=${writerCode}`)
    assert.match((await ann.textContent('[data-testid="invite-web-url"]')) ?? '', /#invite=ds1\./)
    await shot(ann, '21-invite-dialog.png')
    await ann.click('[data-testid="invite-close"]')
  },
)

test('a device joins with the writer invite, and both see each other’s writes', { skip, timeout: 60_000 }, async () => {
  bob = await device('bob')
  await bob.click('[data-testid="join-mode-invite"]')
  await bob.fill('[data-testid="invite-input"]', writerCode)
  await bob.fill('[data-testid="join-name"]', 'Bob')
  await bob.click('[data-testid="join-submit"]')
  await bob.waitForSelector('[data-testid="room-screen"]', { timeout: 20_000 })
  assert.equal(await bob.textContent('[data-testid="room-name"]'), room)
  assert.equal(await access(bob), 'writer')

  await ann.fill('[data-testid="new-record-key"]', 'lot-1')
  await ann.click('[data-testid="new-record-create"]')
  await ann.waitForFunction(() => document.querySelector('[data-testid="editor-key"]')?.textContent === 'lot-1')
  await addField(ann, 'title', 'string', 'Chair')
  await selectRecord(bob, 'lot-1')
  await waitValue(bob, 'title', 'Chair')
  await addField(bob, 'price', 'number', '12')
  await waitValue(ann, 'price', '12')
})

test(
  'a device joins from a read-only invite link: it receives everything and cannot edit',
  { skip, timeout: 60_000 },
  async () => {
    const web = `#invite=${readerCode}`
    carol = await device('carol', web)
    // The link filled in the invite, and left the address.
    assert.equal(await carol.getAttribute('[data-testid="join-form"]', 'data-mode'), 'invite')
    assert.equal(await carol.inputValue('[data-testid="invite-input"]'), readerCode)
    assert.equal(await carol.evaluate(() => location.hash), '')
    await carol.fill('[data-testid="join-name"]', 'Carol')
    await carol.click('[data-testid="join-submit"]')
    await carol.waitForSelector('[data-testid="room-screen"]', { timeout: 20_000 })
    assert.equal(await access(carol), 'read-only')
    assert.equal(await carol.getAttribute('[data-testid="room-screen"]', 'data-access'), 'read-only')
    await carol.waitForSelector('[data-testid="read-only-note"]')
    // It joined as a consumer, and the others see it as one.
    await ann.waitForSelector('[data-testid="peer-row"][data-name="Carol"]', { timeout: 20_000 })
    assert.match((await ann.textContent('[data-testid="peer-row"][data-name="Carol"]')) ?? '', /consumer/)

    await selectRecord(carol, 'lot-1')
    await waitValue(carol, 'title', 'Chair')
    await waitValue(carol, 'price', '12')
    for (const control of [
      'new-record-key',
      'new-record-create',
      'import',
      'record-delete',
      'new-field-name',
      'new-field-add',
    ])
      assert.equal(await carol.isDisabled(`[data-testid="${control}"]`), true, `${control} is disabled`)
    assert.equal(await carol.isDisabled(valueOf('title')), true, 'field values are disabled')
    await carol.click('[data-testid="editor-tab-raw"]')
    assert.equal(await carol.isEditable('[data-testid="raw-json"]'), false)
    assert.equal(await carol.isDisabled('[data-testid="raw-apply"]'), true)
    await carol.click('[data-testid="editor-tab-tree"]')
    await shot(carol, '22-read-only.png')

    // Writes still reach it; a read-only device invites only read-only devices.
    await addField(ann, 'color', 'string', 'red')
    await waitValue(carol, 'color', 'red')
    await carol.click('[data-testid="invite-open"]')
    assert.equal(await carol.getAttribute('[data-testid="invite-dialog"]', 'data-kind'), 'reader')
    assert.equal(await carol.isDisabled('[data-testid="invite-kind-writer"]'), true)
    await carol.click('[data-testid="invite-close"]')
    // Nothing Carol did changed the record.
    await selectRecord(ann, 'lot-1')
    await waitValue(ann, 'color', 'red')
    assert.equal(await ann.locator('[data-testid="field-row"]').count(), 4)
  },
)

test(
  'a reload rejoins the private room with its keys (kept for the tab in a browser)',
  { skip, timeout: 30_000 },
  async () => {
    await bob.reload()
    await bob.waitForSelector('[data-testid="room-screen"]', { timeout: 20_000 })
    assert.equal(await access(bob), 'writer')
    await selectRecord(bob, 'lot-1')
    await bob.fill(valueOf('title'), 'Red chair')
    await bob.press(valueOf('title'), 'Enter')
    await waitValue(carol, 'title', 'Red chair')
  },
)

test('broken invite codes are refused on the join screen with a clear message', { skip, timeout: 30_000 }, async () => {
  const dave = await device('dave')
  await dave.click('[data-testid="join-mode-invite"]')
  const cases: Array<[string, RegExp]> = [
    ['', /Paste an invite/],
    ['hello there', /not a DiffStream invite/],
    [writerCode.slice(0, Math.floor(writerCode.length / 2)), /not a DiffStream invite|damaged/],
    [`ds1.${Buffer.from(JSON.stringify({ v: 1, r: 'x', s: [], p: 'short', w: [] })).toString('base64url')}`, /damaged/],
    [`ds1.${Buffer.from(JSON.stringify({ v: 9 })).toString('base64url')}`, /another version/],
    ['x'.repeat(10_000), /too long/],
  ]
  for (const [code, message] of cases) {
    await dave.fill('[data-testid="invite-input"]', code)
    await dave.click('[data-testid="join-submit"]')
    await dave.waitForFunction(
      (source) => new RegExp(source).test(document.querySelector('[data-testid="join-error"]')?.textContent ?? ''),
      message.source,
      { timeout: 5000 },
    )
    assert.equal(await dave.isVisible('[data-testid="join-form"]'), true)
  }
  await shot(dave, '23-invite-refused.png')
  assert.equal(await dave.locator('[data-testid="room-screen"]').count(), 0)
})

test('no page error and no Content-Security-Policy violation on any device', { skip }, () => {
  assert.deepEqual(problems, [])
})
