// Runs test/integration/fixtures/store-child.ts in a real `node` process. The script is bundled
// once with esbuild (the built @diffstream/core/node inside) so that a child starts in tens of
// milliseconds instead of tsx's half second: the crash test starts dozens of them.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export type ChildEvent = { event: string; [k: string]: unknown }

let bundled: Promise<string> | null = null

function script(): Promise<string> {
  return (bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diffstream-store-child-'))
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    const outfile = join(dir, 'store-child.mjs')
    await build({
      entryPoints: [fileURLToPath(new URL('../integration/fixtures/store-child.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    })
    return outfile
  })())
}

/** A running store child; `events` fills as it prints, `exited` settles when it is gone. */
export class StoreChild {
  readonly events: ChildEvent[] = []
  stderr = ''
  readonly exited: Promise<void>
  private waiters: Array<{ test: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }> = []

  private constructor(readonly child: ChildProcess) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()))
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: ChildEvent
      try {
        e = JSON.parse(line) as ChildEvent
      } catch {
        return
      }
      this.events.push(e)
      for (const w of this.waiters.slice()) {
        if (w.test(e)) {
          this.waiters.splice(this.waiters.indexOf(w), 1)
          w.resolve(e)
        }
      }
    })
  }

  static async start(args: string[]): Promise<StoreChild> {
    const file = await script()
    return new StoreChild(spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }))
  }

  /** The first event (seen already or to come) that passes `test`. */
  waitFor(test: (e: ChildEvent) => boolean, timeoutMs = 15_000): Promise<ChildEvent> {
    const seen = this.events.find(test)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`store child: timed out; stderr: ${this.stderr.slice(-2000)}`)),
        timeoutMs,
      )
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) })
    })
  }

  /** Ends stdin: a child holding a store closes it and exits. */
  endInput(): Promise<void> {
    this.child.stdin!.end()
    return this.exited
  }

  /** SIGKILL: no handler runs, nothing is flushed, the lock file stays behind. */
  kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    return this.exited
  }
}
