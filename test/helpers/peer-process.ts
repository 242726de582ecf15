// Starts test/helpers/room-peer.ts as a child process and talks to it in JSON lines.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./room-peer.ts', import.meta.url))
const root = fileURLToPath(new URL('../..', import.meta.url))

export type PeerEvent = { event: string; [k: string]: unknown }

export interface PeerOptions {
  room: string
  signaling: string
  password?: string
  role?: 'peer' | 'producer' | 'consumer'
  name?: string
}

export class PeerProcess {
  readonly child: ChildProcess
  readonly events: PeerEvent[] = []
  private waiters: Array<{ test: (e: PeerEvent) => boolean; resolve: (e: PeerEvent) => void }> = []
  stderr = ''

  constructor(readonly options: PeerOptions) {
    const args = ['--import', 'tsx', script, '--room', options.room, '--signaling', options.signaling]
    if (options.password) args.push('--password', options.password)
    if (options.role) args.push('--role', options.role)
    if (options.name) args.push('--name', options.name)
    this.child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
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
      const timer = setTimeout(() => reject(new Error(`timed out waiting (${this.options.name}); stderr: ${this.stderr.slice(-2000)}`)), timeoutMs)
      this.waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) })
    })
  }

  async dump(): Promise<{ records: Record<string, unknown>; peers: string[] }> {
    const p = this.waitFor((e) => e.event === 'dump')
    this.send({ op: 'dump' })
    return (await p) as unknown as { records: Record<string, unknown>; peers: string[] }
  }

  /** Polls until `check` passes on the peer's records (deterministic: no timing assertion, just a deadline). */
  async until(check: (records: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const { records } = await this.dump()
      if (check(records)) return records
      if (Date.now() > deadline) throw new Error(`${this.options.name}: condition not met; records: ${JSON.stringify(records).slice(0, 500)}\n${this.stderr.slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async peers(n: number, timeoutMs = 30_000): Promise<void> {
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
