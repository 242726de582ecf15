// Starts test/helpers/room-peer.ts (a DiffStream room peer) as a child process.
import { fileURLToPath } from 'node:url'
import { LineProcess, type Records } from './line-process.js'

export type { PeerEvent } from './line-process.js'

const script = fileURLToPath(new URL('./room-peer.ts', import.meta.url))

export interface PeerOptions {
  room: string
  signaling: string
  password?: string
  role?: 'peer' | 'producer' | 'consumer'
  name?: string
  /** A directory for a file store (offline-first peers). */
  store?: string
  maxConns?: number
  heartbeatMs?: number
  /** Report every change as a `change` event. */
  changes?: boolean
}

export class PeerProcess extends LineProcess<{ records: Records; peers: string[]; epoch: number }> {
  constructor(readonly options: PeerOptions) {
    const args = ['--room', options.room, '--signaling', options.signaling]
    if (options.password) args.push('--password', options.password)
    if (options.role) args.push('--role', options.role)
    if (options.name) args.push('--name', options.name)
    if (options.store) args.push('--store', options.store)
    if (options.maxConns !== undefined) args.push('--max-conns', String(options.maxConns))
    if (options.heartbeatMs !== undefined) args.push('--heartbeat-ms', String(options.heartbeatMs))
    if (options.changes) args.push('--changes')
    super(options.name ?? 'peer', script, args)
  }
}
