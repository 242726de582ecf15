import { Worker, isMainThread, parentPort } from 'node:worker_threads'
if (isMainThread) {
  const t0 = performance.now()
  const api = import.meta.resolve('tsx/esm/api')
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}) })`
  const w = new Worker(code, { eval: true })
  w.on('message', (m: unknown) => { console.log('got', m, (performance.now() - t0).toFixed(0), 'ms'); void w.terminate() })
} else {
  const x: number = 1
  parentPort?.postMessage({ gc: typeof globalThis.gc, x })
}
