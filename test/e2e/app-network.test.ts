// The join screen's network section in Chromium (web mode): two profiles join a room through two
// signaling servers (one of them dead), with a TURN server (Debian's coturn on loopback) and its
// credentials typed in, relay only. "Who is here" must say "via relay", coturn must show the
// allocations, and the credential must not reach localStorage.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join as joinPath } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { turnCredentials } from '../../signaling/src/ice.js'
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js'
import { missing, startCoturn, type Daemon } from '../helpers/daemon.js'
import { freePort } from '../helpers/free-port.js'
import { ensureSignalingBuilt, startSignalingProcess, type SignalingProcess } from '../helpers/signaling-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const shots = joinPath(root, 'test', 'e2e', 'screenshots')
const skip = skipWithoutChromium() || missing('turnserver')
if (skip) console.log(`# skipped: ${skip}`)

let server: ChildProcess | undefined
let serverOutput = ''
let url = ''
let browser: Browser | undefined
let coturn: Daemon | undefined
let turnPort = 0
let turnSignaling: SignalingProcess | undefined
const secret = randomBytes(12).toString('hex')

before(async () => {
  if (skip) return
  ensureSignalingBuilt()
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'app/build.ts'], { cwd: root, encoding: 'utf8' })
  assert.equal(built.status, 0, `building the app failed:\n${built.stdout}${built.stderr}`)
  mkdirSync(shots, { recursive: true })
  turnPort = await freePort()
  coturn = await startCoturn({ port: turnPort, secret })
  // A second signaling server that hands out TURN credentials (GET /ice), as a deployment's would.
  turnSignaling = await startSignalingProcess({
    args: ['--turn-url', `turn:127.0.0.1:${turnPort}?transport=udp`],
    env: { TURN_SECRET: secret },
  })
  server = spawn(
    process.execPath,
    ['app/dist/launch.js', '--web', '--port', '0', '--signaling-port', '0', '--host', '127.0.0.1'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  server.stderr!.on('data', (d: Buffer) => (serverOutput += d.toString()))
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the web-mode server did not start:\n${serverOutput}`)), 15_000)
    createInterface({ input: server!.stdout! }).on('line', (line) => {
      const m = /^DiffStream web mode: (http:\/\/\S+)$/.exec(line)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    server!.once('exit', (code) => reject(new Error(`the web-mode server exited with ${code}:\n${serverOutput}`)))
  })
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r))
    server.kill('SIGTERM')
    await exited
  }
  await turnSignaling?.stop()
  await coturn?.stop()
})

test(
  'relay only through a TURN server typed into the network section, with two signaling servers (one dead)',
  { skip, timeout: 90_000 },
  async () => {
    const room = `net-${randomBytes(4).toString('hex')}`
    const deadSignaling = `ws://127.0.0.1:${await freePort()}`
    const problems: string[] = []
    const open = async (name: string): Promise<Page> => {
      const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } })
      const page = await context.newPage()
      page.on('pageerror', (e) => problems.push(`${name}: ${String(e)}`))
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) problems.push(`${name}: ${m.text()}`)
      })
      await page.goto(url)
      await page.waitForFunction(() =>
        (document.querySelector<HTMLTextAreaElement>('[data-testid="join-signaling"]')?.value ?? '').startsWith(
          'ws://',
        ),
      )
      const own = await page.inputValue('[data-testid="join-signaling"]')
      // An open room (name and password): private rooms are the default.
      await page.click('[data-testid="join-mode-open"]')
      await page.fill('[data-testid="join-room"]', room)
      await page.fill('[data-testid="join-name"]', name)
      await page.fill('[data-testid="join-signaling"]', `${own}\n${deadSignaling}`)
      await page.click('[data-testid="join-network-summary"]')
      await page.click('[data-testid="ice-add"]')
      const { username, credential } = turnCredentials(secret, 3600)
      await page.fill('[data-testid="ice-urls"]', `turn:127.0.0.1:${turnPort}?transport=udp`)
      await page.fill('[data-testid="ice-username"]', username)
      await page.fill('[data-testid="ice-credential"]', credential)
      await page.check('[data-testid="join-relay"]')
      assert.match(
        (await page.textContent('[data-testid="join-network-summary"]')) ?? '',
        /1 STUN\/TURN server, relay only/,
      )
      if (name === 'Ann') await page.screenshot({ path: joinPath(shots, '10-join-network.png') })
      await page.click('[data-testid="join-submit"]')
      await page.waitForSelector('[data-testid="room-screen"]')
      return page
    }
    const ann = await open('Ann')
    const bob = await open('Bob')
    for (const [page, other] of [
      [ann, 'Bob'],
      [bob, 'Ann'],
    ] as const) {
      const row = `[data-testid="peer-row"][data-state="direct"][data-name="${other}"][data-path="relay"]`
      await page.waitForSelector(row, { timeout: 40_000 })
      assert.match((await page.textContent(`${row} .peer-meta`)) ?? '', /connected · via relay/)
    }
    await ann.screenshot({ path: joinPath(shots, '11-who-is-here-via-relay.png') })
    assert.match(coturn!.output(), /ALLOCATE processed, success/)

    // The credential is in the tab's session (a reload rejoins), never in localStorage.
    const storage = await ann.evaluate(() => ({
      local: JSON.stringify(localStorage),
      session: JSON.stringify(sessionStorage),
    }))
    const typed = await ann.evaluate(
      () => JSON.parse(sessionStorage.getItem('diffstream.session') ?? '{}') as { credentials?: string[] },
    )
    assert.equal(typed.credentials?.length, 1)
    assert.ok(typed.credentials![0]!.length > 10)
    assert.ok(!storage.local.includes(typed.credentials![0]!), 'no credential in localStorage')
    assert.match(storage.local, /turn:127\.0\.0\.1/, 'the server itself is remembered')
    assert.deepEqual(problems, [])
  },
)

test(
  'relay only with no STUN/TURN server typed in: the page gets TURN credentials from the signaling server (/ice)',
  { skip, timeout: 60_000 },
  async () => {
    const room = `ice-${randomBytes(4).toString('hex')}`
    const problems: string[] = []
    const pages: Page[] = []
    for (const name of ['Cy', 'Di']) {
      const context = await browser!.newContext()
      const page = await context.newPage()
      page.on('pageerror', (e) => problems.push(`${name}: ${String(e)}`))
      page.on('console', (m) => {
        if (/Content Security Policy|Illegal invocation/i.test(m.text())) problems.push(`${name}: ${m.text()}`)
      })
      await page.goto(url)
      await page.waitForSelector('[data-testid="join-form"]')
      // An open room (name and password): private rooms are the default.
      await page.click('[data-testid="join-mode-open"]')
      await page.fill('[data-testid="join-room"]', room)
      await page.fill('[data-testid="join-name"]', name)
      await page.fill('[data-testid="join-signaling"]', turnSignaling!.url)
      await page.click('[data-testid="join-network-summary"]')
      await page.check('[data-testid="join-relay"]')
      assert.match(
        (await page.textContent('[data-testid="join-network-summary"]')) ?? '',
        /from the signaling server, relay only/,
      )
      await page.click('[data-testid="join-submit"]')
      await page.waitForSelector('[data-testid="room-screen"]')
      pages.push(page)
    }
    const [cy, di] = pages as [Page, Page]
    await cy.waitForSelector('[data-testid="peer-row"][data-state="direct"][data-name="Di"][data-path="relay"]', {
      timeout: 40_000,
    })
    await di.waitForSelector('[data-testid="peer-row"][data-state="direct"][data-name="Cy"][data-path="relay"]', {
      timeout: 40_000,
    })
    // The credentials were made by the signaling server: coturn saw usernames of the form expiry:id.
    assert.match(coturn!.output(), /user <\d+:[\w-]+>: incoming packet ALLOCATE processed, success/)
    assert.deepEqual(problems, [])
  },
)
