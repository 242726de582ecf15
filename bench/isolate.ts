import { Worker } from 'node:worker_threads'

/**
 * A TypeScript module running in its own worker thread (own V8 isolate: its own JIT state and
 * heap, so one contender's optimised code and garbage do not colour another's timings), driven by
 * request/response messages, one request at a time.
 *
 * Workers do not inherit tsx's loader from `--import tsx`, so the worker first registers tsx
 * through its API and then imports the module. The module reads `workerData` and answers each
 * message on `parentPort` with exactly one message.
 */
export class IsolatedModule<Req, Res> {
  private readonly worker: Worker
  private pending: { resolve: (res: Res) => void; reject: (err: Error) => void } | null = null
  private failure: Error | null = null

  constructor(moduleUrl: URL, workerData: unknown) {
    const api = import.meta.resolve('tsx/esm/api')
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}) })`
    this.worker = new Worker(code, { eval: true, workerData })
    this.worker.on('message', (res: Res) => {
      const p = this.pending
      this.pending = null
      p?.resolve(res)
    })
    const fail = (err: Error): void => {
      this.failure = err
      const p = this.pending
      this.pending = null
      p?.reject(err)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => {
      if (code !== 0 || this.pending) fail(new Error(`worker exited with code ${code}`))
    })
  }

  request(req: Req): Promise<Res> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.pending) return Promise.reject(new Error('one request at a time'))
    return new Promise<Res>((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage(req)
    })
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
  }
}
