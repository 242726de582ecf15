// The app stays responsive while it joins a large room: a producer process holds 50 000 records,
// the app (web mode, Debian's Chromium through playwright-core) joins, shows the sync's progress,
// ends with every record, and no main-thread task takes over 100 ms meanwhile (Long Tasks API).
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { launchChromium, skipWithoutChromium } from '../helpers/chromium.js'
import { ensureSignalingBuilt } from '../helpers/signaling-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const skip = skipWithoutChromium()
const RECORDS = 50_000
const LONG_TASK_LIMIT_MS = 100

let server: ChildProcess | undefined
let filler: ChildProcess | undefined
let output = ''
let url = ''
let browser: Browser | undefined

/** Resolves with the first stdout line of `child` that `match` accepts. */
function lineOf<T>(
  child: ChildProcess,
  what: string,
  timeoutMs: number,
  match: (line: string) => T | null,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}:\n${output}`)), timeoutMs)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`
      const m = match(line)
      if (m !== null) {
        clearTimeout(timer)
        resolve(m)
      }
    })
    child.once('exit', (code) => reject(new Error(`${what}: the process exited with ${code}:\n${output}`)))
  })
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

before(async () => {
  if (skip) return
  ensureSignalingBuilt()
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'app/build.ts'], { cwd: root, encoding: 'utf8' })
  assert.equal(built.status, 0, `building the app failed:\n${built.stdout}${built.stderr}`)
  server = spawn(
    process.execPath,
    ['app/dist/launch.js', '--web', '--port', '0', '--signaling-port', '0', '--host', '127.0.0.1'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  server.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  url = await lineOf(
    server,
    'the web-mode server',
    15_000,
    (l) => /^DiffStream web mode: (http:\/\/\S+)$/.exec(l)?.[1] ?? null,
  )
  browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns'])
})

after(async () => {
  await browser?.close()
  await stop(filler)
  await stop(server)
})

test(
  `joining a room of ${RECORDS} records shows progress and no main-thread task exceeds ${LONG_TASK_LIMIT_MS} ms`,
  { skip, timeout: 240_000 },
  async (t) => {
    const info = (await (await fetch(new URL('/api/info', url))).json()) as { signalingUrl?: string }
    assert.ok(info.signalingUrl, 'the web-mode server names its signaling URL')
    const room = `large-${randomUUID().slice(0, 8)}`
    const password = 'a large room'
    filler = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/helpers/room-filler.ts',
        '--room',
        room,
        '--signaling',
        info.signalingUrl,
        '--password',
        password,
        '--records',
        String(RECORDS),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    filler.stderr!.on('data', (d: Buffer) => (output += d.toString()))
    const filled = await lineOf(filler, 'the filled room', 120_000, (l) => (l.includes('"filled"') ? l : null))
    assert.match(filled, new RegExp(`"records":${RECORDS}\\b`))

    const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(String(e)))
    // Every main-thread task over 50 ms, from the first script on.
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: Array<[number, number]> }
      w.longTasks = []
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push([e.startTime, e.duration])
      }).observe({ type: 'longtask', buffered: true })
    })
    await page.goto(url)
    await page.waitForSelector('[data-testid="join-form"]')
    await page.waitForFunction(() =>
      (document.querySelector<HTMLInputElement>('[data-testid="join-signaling"]')?.value ?? '').startsWith('ws://'),
    )
    // An open room (name and password): private rooms are the default.
    await page.click('[data-testid="join-mode-open"]')
    await page.fill('[data-testid="join-room"]', room)
    await page.fill('[data-testid="join-password"]', password)
    await page.fill('[data-testid="join-name"]', 'Newcomer')
    // DIFFSTREAM_E2E_PROFILE=file.cpuprofile: the page's CPU profile of the join, for finding long tasks.
    const profileTo = process.env['DIFFSTREAM_E2E_PROFILE']
    const cdp = profileTo ? await context.newCDPSession(page) : null
    if (cdp) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.start')
    }
    const joinedAt = await page.evaluate(() => performance.now())
    await page.click('[data-testid="join-submit"]')
    await page.waitForSelector('[data-testid="room-screen"]')

    // Until every record is there: what the progress bar says on the way.
    const labels = new Set<string>()
    const deadline = Date.now() + 180_000
    for (;;) {
      const { count, label, synced } = await page.evaluate(() => ({
        count: document.querySelector('[data-testid="record-count"]')?.textContent ?? '',
        label: document.querySelector('[data-testid="progress"] .progress-label')?.textContent ?? '',
        synced: document.querySelector('[data-testid="status-sync"]')?.getAttribute('data-state') === 'synced',
      }))
      if (label) labels.add(label)
      if (count === String(RECORDS) && synced) break
      assert.ok(
        Date.now() < deadline,
        `not all records after 180 s: ${count} (progress seen: ${[...labels].join(' | ')})`,
      )
      await new Promise((r) => setTimeout(r, 100))
    }
    const doneAt = await page.evaluate(() => performance.now())
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop')
      writeFileSync(profileTo!, JSON.stringify(profile))
    }
    // The browser reports a task once it ended: give the last one a moment.
    await new Promise((r) => setTimeout(r, 500))
    const tasks = (await page.evaluate(() => (window as unknown as { longTasks: Array<[number, number]> }).longTasks))
      .filter(([start]) => start >= joinedAt)
      .map(([start, duration]) => ({ at: Math.round(start - joinedAt), ms: Math.round(duration) }))
    const longest = tasks.reduce((m, t) => Math.max(m, t.ms), 0)
    console.log(
      `joined ${RECORDS} records in ${Math.round(doneAt - joinedAt)} ms; ${tasks.length} tasks over 50 ms, ` +
        `longest ${longest} ms: ${JSON.stringify(tasks.slice(0, 40))}; progress seen: ${[...labels].slice(0, 6).join(' | ')}`,
    )
    assert.deepEqual(problems, [])
    const counts = [...labels]
      .map((l) => Number(/(\d+) records/.exec(l)?.[1] ?? NaN))
      .filter((n) => n > 0 && n < RECORDS)
    assert.ok(
      counts.length > 0,
      `the progress bar never showed a partial record count (seen: ${[...labels].join(' | ')})`,
    )
    // Long tasks are wall time: on an oversubscribed machine the OS preempts the page mid-task and
    // they measure the scheduler, not the app. Then a failure says nothing, and the test says so.
    const load = loadavg()[0]!
    if (longest > LONG_TASK_LIMIT_MS && load > 2 * availableParallelism()) {
      t.skip(
        `not measurable: the machine was oversubscribed (load ${load.toFixed(1)} on ${availableParallelism()} cores) ` +
          `and the longest task took ${longest} ms`,
      )
      await context.close()
      return
    }
    assert.ok(longest <= LONG_TASK_LIMIT_MS, `a main-thread task took ${longest} ms: ${JSON.stringify(tasks)}`)
    await context.close()
  },
)
