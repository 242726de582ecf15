// Runs test/integration/fixtures/store-child.ts in a real `node` process. The script is bundled
// once with esbuild (the built @diffstream/core/node inside) so that a child starts in tens of
// milliseconds instead of tsx's half second: the crash test starts dozens of them.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { JsonLineEvents, type JsonEvent } from './json-line-events.js'

export type ChildEvent = JsonEvent

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
  readonly events: ChildEvent[]
  readonly exited: Promise<void>
  private readonly lines: JsonLineEvents

  private constructor(readonly child: ChildProcess) {
    this.lines = new JsonLineEvents(child)
    this.events = this.lines.events
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
  }

  /** What the child wrote to stderr so far. */
  get stderr(): string {
    return this.lines.stderr
  }

  static async start(args: string[]): Promise<StoreChild> {
    const file = await script()
    return new StoreChild(spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }))
  }

  /** The first event (seen already or to come) that passes `test`. */
  waitFor(test: (e: ChildEvent) => boolean, timeoutMs = 15_000): Promise<ChildEvent> {
    const seen = this.events.find(test)
    if (seen) return Promise.resolve(seen)
    return this.lines.next(
      test,
      timeoutMs,
      () => new Error(`store child: timed out; stderr: ${this.stderr.slice(-2000)}`),
    )
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
