// The events a child process prints on stdout, one JSON object a line (other lines are ignored),
// with what it writes to stderr: shared by every helper that drives a child through JSON lines.
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

export type JsonEvent = { event: string; [k: string]: unknown }

export class JsonLineEvents {
  readonly events: JsonEvent[] = []
  stderr = ''
  private waiters: Array<{ test: (e: JsonEvent) => boolean; resolve: (e: JsonEvent) => void }> = []

  constructor(child: ChildProcess) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: JsonEvent
      try {
        e = JSON.parse(line) as JsonEvent
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

  /** The next event that passes `test`; after `timeoutMs`, rejects with `timedOut()` (stderr is ready by then). */
  next(test: (e: JsonEvent) => boolean, timeoutMs: number, timedOut: () => Error): Promise<JsonEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(timedOut()), timeoutMs)
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) })
    })
  }
}
