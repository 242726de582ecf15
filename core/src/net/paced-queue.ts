/*
 * Runs incoming work in order without holding the event loop for long: work arriving while the
 * loop is free runs at once (a live update costs no extra latency), but once a burst of it (a large
 * initial sync arriving in pieces, which a stream may hand over several at a time) has used
 * `budgetMs` of one task, the rest waits for the next task, so timers, input and rendering get
 * their turn in between.
 */

const now = (): number => performance.now()

/** Runs `fn` in a later task: setImmediate in Node, a MessageChannel message in browsers. */
function nextTask(fn: () => void): void {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown }
  if (typeof g.setImmediate === 'function') {
    g.setImmediate(fn)
    return
  }
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    channel.port1.close()
    fn()
  }
  channel.port2.postMessage(null)
}

/** A FIFO of jobs run in slices of at most about `budgetMs` per task (one job may run longer). */
export class PacedQueue {
  private jobs: Array<() => void> = []
  private head = 0
  private draining = false
  private waiting = false
  private closed = false
  /** When the current burst (one run of synchronous code) started, or -1 outside one. */
  private burstStart = -1

  constructor(
    private readonly budgetMs = 10,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  push(job: () => void): void {
    if (this.closed) return
    this.jobs.push(job)
    if (!this.waiting) this.drain()
  }

  /** Drops what is queued and accepts nothing more. */
  close(): void {
    this.closed = true
    this.jobs = []
    this.head = 0
  }

  private drain(): void {
    if (this.draining) return
    this.draining = true
    try {
      if (this.burstStart < 0) {
        this.burstStart = now()
        // Microtasks run once the current synchronous burst is over: the next one starts afresh.
        queueMicrotask(() => (this.burstStart = -1))
      }
      while (this.head < this.jobs.length) {
        if (now() - this.burstStart >= this.budgetMs) {
          this.waiting = true
          nextTask(() => {
            this.waiting = false
            this.drain()
          })
          return
        }
        const job = this.jobs[this.head]!
        this.jobs[this.head++] = noop
        try {
          job()
        } catch (err) {
          this.onError(err)
        }
      }
      this.jobs = []
      this.head = 0
    } finally {
      this.draining = false
    }
  }
}

function noop(): void {}
