import { fork, type ChildProcess } from 'node:child_process'
import type { ChildMessage, Reply, Request } from './protocol.js'

const PEER_SCRIPT = new URL('./peer.ts', import.meta.url)

/**
 * A peer process (`peer.ts`) started with `node --import tsx`, driven one request at a time or
 * several at once (replies are matched by id). Extra node flags for the children (for example
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`) come from the `ROOMS_CHILD_FLAGS` environment variable.
 */
export class PeerProcess {
  private readonly child: ChildProcess
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>()
  private failure: Error | null = null
  private readonly exited: Promise<void>
  readonly warnings: string[] = []
  /** Called with each raw simple-peer signal the child wants relayed to the other side, and its link. */
  onSignal: (signal: unknown, link: string) => void = () => {}

  constructor(
    readonly label: string,
    signalingUrl: string,
  ) {
    const extra = (process.env['ROOMS_CHILD_FLAGS'] ?? '').split(/\s+/).filter((f) => f.length > 0)
    this.child = fork(PEER_SCRIPT, [signalingUrl], {
      execArgv: ['--import', import.meta.resolve('tsx'), '--expose-gc', ...extra],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.child.on('message', (msg: ChildMessage) => {
      if ('signal' in msg) this.onSignal(msg.signal, msg.link)
      else if ('warning' in msg) this.warnings.push(msg.warning)
      else {
        const p = this.pending.get(msg.id)
        this.pending.delete(msg.id)
        if ('error' in msg) p?.reject(new Error(`${label}: ${msg.error}`))
        else p?.resolve(msg.reply)
      }
    })
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.fail(new Error(`${label} process exited (code ${code}, signal ${signal})`))
        resolve()
      })
    })
    this.child.on('error', (err) => this.fail(err))
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  private fail(err: Error): void {
    this.failure ??= err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }

  /** Sends a request; rejects when the child reports an error, dies, or takes longer than `timeoutMs`. */
  request(req: Request, timeoutMs = 60_000): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.label}: no reply to ${req.op} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer)
          resolve(r)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      this.child.send({ id, req })
    })
  }

  /** A request whose reply must be `op`. */
  async ask<K extends Reply['op']>(req: Request, op: K, timeoutMs?: number): Promise<Extract<Reply, { op: K }>> {
    const reply = await this.request(req, timeoutMs)
    if (reply.op !== op) throw new Error(`${this.label} answered ${reply.op} to ${req.op}`)
    return reply as Extract<Reply, { op: K }>
  }

  /** Asks the child to leave its rooms and exit; kills it (by pid) if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.request({ op: 'exit' }, 5000).catch(() => undefined)
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000)
      await this.exited
      clearTimeout(timer)
    }
  }
}
