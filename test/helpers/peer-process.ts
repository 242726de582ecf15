// Starts test/helpers/room-peer.ts (a DiffStream room peer) as a child process.
import { fileURLToPath } from 'node:url'
import { LineProcess, type Records } from './line-process.js'

export type { PeerEvent } from './line-process.js'

const script = fileURLToPath(new URL('./room-peer.ts', import.meta.url))

export interface PeerOptions {
  room: string
  /** One signaling URL, or several (the room uses all of them). */
  signaling: string | string[]
  password?: string
  role?: 'peer' | 'producer' | 'consumer'
  name?: string
  /** A directory for a file store (offline-first peers). */
  store?: string
  /** iceTransportPolicy 'relay'. */
  relay?: boolean
  /** Keep every ICE candidate (the default keeps loopback ones only). */
  anyCandidates?: boolean
  /** Given iceServers (otherwise the room asks its signaling servers' /ice). */
  iceServers?: RTCIceServer[]
  /** The room's compaction options (an eager policy for tests). */
  compaction?: { ratio: number; minBytes: number }
  /** A command that runs the peer, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  wrap?: string[]
  maxConns?: number
  heartbeatMs?: number
  /** Report every change as a `change` event. */
  changes?: boolean
  /** A signed room: the writers' public keys (docs/writers.md). */
  writers?: string[]
  /** This peer's writer key. */
  writerKey?: { publicKey: string; privateKey: string }
  /** The anti-entropy's digest period (docs/anti-entropy.md). */
  digestMs?: number
}

/** A path of a peer's connections, as `room.paths()` reports it. */
export interface PathInfo {
  peerId: string
  type: string
  local: string
  remote: string
  protocol: string | null
  rttMs: number | null
}

export class PeerProcess extends LineProcess<{ records: Records; peers: string[]; epoch: number }> {
  constructor(readonly options: PeerOptions) {
    const signaling = Array.isArray(options.signaling) ? options.signaling.join(',') : options.signaling
    const args = ['--room', options.room, '--signaling', signaling]
    if (options.password) args.push('--password', options.password)
    if (options.role) args.push('--role', options.role)
    if (options.name) args.push('--name', options.name)
    if (options.store) args.push('--store', options.store)
    if (options.relay) args.push('--relay')
    if (options.anyCandidates) args.push('--any-candidates')
    if (options.compaction) args.push('--compaction', JSON.stringify(options.compaction))
    if (options.iceServers) args.push('--ice-servers', JSON.stringify(options.iceServers))
    if (options.maxConns !== undefined) args.push('--max-conns', String(options.maxConns))
    if (options.heartbeatMs !== undefined) args.push('--heartbeat-ms', String(options.heartbeatMs))
    if (options.changes) args.push('--changes')
    if (options.writers) args.push('--writers', JSON.stringify(options.writers))
    if (options.writerKey) args.push('--writer-key', JSON.stringify(options.writerKey))
    if (options.digestMs !== undefined) args.push('--digest-ms', String(options.digestMs))
    super(options.name ?? 'peer', script, args, options.wrap)
  }

  /** The paths of this peer's connections (see `room.paths()`). */
  async paths(): Promise<PathInfo[]> {
    const p = this.waitFor((e) => e.event === 'paths')
    this.send({ op: 'paths' })
    return (await p).paths as PathInfo[]
  }
}
