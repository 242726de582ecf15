/** Worker entry of the core suite: one contender per worker thread; see `isolate.ts`. */
import { parentPort, workerData } from 'node:worker_threads'
import { ContenderHost, type CoreRequest, type HostInit } from './core-measure.js'

const port = parentPort
if (!port) throw new Error('core-worker.ts runs in a worker thread')
const host = new ContenderHost(workerData as HostInit)
port.on('message', (req: CoreRequest) => port.postMessage(host.handle(req)))
