// A child process driven by JSON lines: commands on stdin, events on stdout. The peers of the
// integration tests (DiffStream rooms, y-webrtc) each run in one.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

export type PeerEvent = { event: string; [k: string]: unknown }
export type Records = Record<string, unknown>

export class LineProcess<Dump extends { records: Records }> {
  readonly child: ChildProcess
  readonly events: PeerEvent[] = []
  private waiters: Array<{ test: (e: PeerEvent) => boolean; resolve: (e: PeerEvent) => void }> = []
  stderr = ''

  /** Runs `script` (TypeScript, through tsx) with `args`; `name` labels its failures. */
  constructor(
    readonly name: string,
    script: string,
    args: string[],
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()))
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let e: PeerEvent
      try {
        e = JSON.parse(line) as PeerEvent
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

  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(JSON.stringify(cmd) + '\n')
  }

  /** The next event (or one already seen, when `past`) that passes `test`. */
  waitFor(test: (e: PeerEvent) => boolean, timeoutMs = 20_000, past = false): Promise<PeerEvent> {
    if (past) {
      const seen = this.events.find(test)
      if (seen) return Promise.resolve(seen)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting (${this.name}); stderr: ${this.stderr.slice(-2000)}`)),
        timeoutMs,
      )
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) })
    })
  }

  async dump(): Promise<Dump> {
    const p = this.waitFor((e) => e.event === 'dump')
    this.send({ op: 'dump' })
    return (await p) as unknown as Dump
  }

  /** Polls until `check` passes on the records (deterministic: no timing assertion, just a deadline). */
  async until(check: (records: Records) => boolean, timeoutMs = 30_000): Promise<Dump> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const d = await this.dump()
      if (check(d.records)) return d
      if (Date.now() > deadline) {
        throw new Error(
          `${this.name}: condition not met; records: ${JSON.stringify(d.records).slice(0, 4000)}\n${this.stderr.slice(-2000)}`,
        )
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** Resolves once the process has reported at least `n` connected peers. */
  async peers(n: number, timeoutMs = 45_000): Promise<void> {
    await this.waitFor((e) => e.event === 'peers' && Array.isArray(e.peers) && e.peers.length >= n, timeoutMs, true)
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve()
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve())
      this.child.kill(signal)
    })
  }
}
