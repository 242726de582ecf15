// A child process driven by JSON lines: commands on stdin, events on stdout. The peers of the
// integration tests (DiffStream rooms, y-webrtc) each run in one.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { JsonLineEvents, type JsonEvent } from './json-line-events.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

export type PeerEvent = JsonEvent
export type Records = Record<string, unknown>

export class LineProcess<Dump extends { records: Records }> {
  readonly child: ChildProcess
  readonly events: PeerEvent[]
  private readonly lines: JsonLineEvents

  /**
   * Runs `script` (TypeScript, through tsx) with `args`; `name` labels its failures. `wrap` is a
   * command that runs node, e.g. `['ip', 'netns', 'exec', 'ns1']` for a network namespace.
   */
  constructor(
    readonly name: string,
    script: string,
    args: string[],
    wrap: string[] = [],
  ) {
    const [command, ...prefix] = [...wrap, process.execPath]
    this.child = spawn(command!, [...prefix, '--import', 'tsx', script, ...args], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.lines = new JsonLineEvents(this.child)
    this.events = this.lines.events
  }

  /** What the process wrote to stderr so far. */
  get stderr(): string {
    return this.lines.stderr
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
    return this.lines.next(
      test,
      timeoutMs,
      () => new Error(`timed out waiting (${this.name}); stderr: ${this.stderr.slice(-2000)}`),
    )
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
