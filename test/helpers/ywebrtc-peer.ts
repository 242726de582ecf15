// A real y-webrtc 10.x peer (the npm package's WebrtcProvider and a Y.Doc) in its own process, for
// interop tests with DiffStream rooms. Driven by JSON lines on stdin, reports JSON lines on stdout.
//   args:   --room NAME --signaling URL [--password P]
//   stdin:  {"op":"set","key":K,"fields":{...}}        writes record K as a Y.Map in doc.getMap('diffstream')
//                                                     (objects become Y.Map, arrays Y.Array; the record
//                                                     also gets `key: K`, as DiffStream records have)
//           {"op":"field","key":K,"path":[...],"value":v}  sets one (nested) field of record K
//           {"op":"delete","key":K}                   deletes record K
//           {"op":"dump"}                             reports the map and its Yjs types
//   stdout: {"event":"started","peerId":...}
//           {"event":"peers","peers":[...]}           remote ids of *connected* WebRTC peers, on change
//           {"event":"synced","synced":bool}          y-webrtc's own 'synced' event
//           {"event":"ice","candidate":"...","sent":bool}   every local ICE candidate and whether it went out
//           {"event":"sdp","type":"offer"|"answer","candidates":[...],"dropped":[...]}  a=candidate lines
//                                                     kept in / removed from a local description read
//           {"event":"remote-sdp","type":...,"candidates":[...],"dropped":[...]}
//           {"event":"remote-ice","candidate":"...","used":bool}  candidates the remote peer sent us;
//                                                     non-loopback ones are logged and not used
//           {"event":"rejection","message":"..."}     an unhandled promise rejection (y-webrtc does not catch
//                                                     signaling decryption failures; a browser only logs them)
//           {"event":"dump","records":{...},"types":{...},"peers":[...]}
//           {"event":"error","message":"..."}
//
// WebRTC stays on loopback: ICE servers are forced empty and the RTCPeerConnection handed to
// simple-peer (through `peerOpts.wrtc`) drops every non-loopback candidate before simple-peer sees
// it, and strips non-loopback a=candidate lines from the local description it reads. Remote
// candidates (trickled or inside the remote SDP) that are not loopback are dropped as well.
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import WebSocket from 'ws'
import * as Y from 'yjs'

const require = createRequire(import.meta.url)

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const out = (msg: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(msg) + '\n')
}
const loopback = (candidate: string): boolean => / (127\.0\.0\.1|::1) /.test(candidate)

// y-webrtc runs its signaling through lib0/websocket, which uses the global WebSocket (Node 20 has none).
;(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket

// y-webrtc decrypts signaling messages with `decryptJson(...).then(execMessage)` and no catch, so a
// message under another password is an unhandled rejection: logged by browsers, fatal in Node.
// Behave like a browser and report it, so the wrong-password case can be observed.
process.on('unhandledRejection', (reason) => {
  out({ event: 'rejection', message: reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason) })
})

// --- a loopback-only WebRTC implementation for simple-peer -------------------------------------

type AnyPc = Record<string | symbol, unknown> & {
  dispatchEvent(event: { type: string; candidate?: { candidate?: string } | null }): void
}
const wrtc = require('@roamhq/wrtc') as Record<string, unknown> & { RTCPeerConnection: new (config?: unknown) => AnyPc }

function filterSdp(sdp: string): { sdp: string; kept: string[]; dropped: string[] } {
  const kept: string[] = []
  const dropped: string[] = []
  const lines = sdp.split('\r\n').filter((line) => {
    if (!line.startsWith('a=candidate:')) return true
    ;(loopback(line) ? kept : dropped).push(line)
    return loopback(line)
  })
  return { sdp: lines.join('\r\n'), kept, dropped }
}

function LoopbackRTCPeerConnection(config: Record<string, unknown> = {}): AnyPc {
  const pc = new wrtc.RTCPeerConnection({ ...config, iceServers: [] })
  // Every event of @roamhq/wrtc's RTCPeerConnection goes through its own dispatchEvent (both
  // `onicecandidate` and addEventListener listeners), so filtering here covers both.
  const dispatch = pc.dispatchEvent.bind(pc)
  pc.dispatchEvent = (event) => {
    if (event.type === 'icecandidate' && event.candidate?.candidate) {
      const sent = loopback(event.candidate.candidate)
      out({ event: 'ice', candidate: event.candidate.candidate, sent })
      if (!sent) return
    }
    dispatch(event)
  }
  // simple-peer sends `pc.localDescription` as the offer/answer; it may already hold candidates.
  return new Proxy(pc, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown
      if (prop === 'localDescription' && value && typeof value === 'object') {
        const desc = value as { type: string; sdp: string }
        const { sdp, kept, dropped } = filterSdp(desc.sdp)
        out({ event: 'sdp', type: desc.type, candidates: kept, dropped })
        return { type: desc.type, sdp }
      }
      if (prop === 'setRemoteDescription' && typeof value === 'function') {
        // The remote peer's offer/answer may carry non-loopback candidates of its own: log them and
        // keep only loopback ones, so this peer never pairs with anything but 127.0.0.1 / ::1.
        return (desc: { type: string; sdp?: string }) => {
          const { sdp, kept, dropped } = filterSdp(desc.sdp ?? '')
          out({ event: 'remote-sdp', type: desc.type, candidates: kept, dropped })
          return (value as (d: unknown) => unknown).call(target, { type: desc.type, sdp })
        }
      }
      if (prop === 'addIceCandidate' && typeof value === 'function') {
        return (c: { candidate?: string } | null) => {
          if (c?.candidate) {
            const used = loopback(c.candidate)
            out({ event: 'remote-ice', candidate: c.candidate, used })
            if (!used) return Promise.resolve()
          }
          return (value as (c: unknown) => unknown).call(target, c)
        }
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}
const loopbackWrtc = { ...wrtc, RTCPeerConnection: LoopbackRTCPeerConnection }

// --- the provider -------------------------------------------------------------------------------

interface ConnLike {
  connected: boolean
}
interface ProviderLike {
  room: { peerId: string; webrtcConns: Map<string, ConnLike> } | null
  on(event: string, f: (...args: unknown[]) => void): void
  destroy(): void
}
type ProviderCtor = new (room: string, doc: Y.Doc, opts: Record<string, unknown>) => ProviderLike

const { WebrtcProvider } = (await import('y-webrtc')) as unknown as { WebrtcProvider: ProviderCtor }

const doc = new Y.Doc()
const root = doc.getMap<unknown>('diffstream')
const password = arg('password')
const provider = new WebrtcProvider(arg('room')!, doc, {
  signaling: [arg('signaling')!],
  ...(password ? { password } : {}),
  peerOpts: { wrtc: loopbackWrtc, config: { iceServers: [] } },
})
provider.on('synced', (e) => out({ event: 'synced', synced: (e as { synced: boolean }).synced }))

const connectedPeers = (): string[] =>
  provider.room
    ? Array.from(provider.room.webrtcConns)
        .filter(([, c]) => c.connected)
        .map(([id]) => id)
        .sort()
    : []

// y-webrtc's 'peers' event fires when a connection is created, not when it connects: poll instead.
let lastPeers = '[]'
setInterval(() => {
  const peers = connectedPeers()
  const text = JSON.stringify(peers)
  if (text !== lastPeers) {
    lastPeers = text
    out({ event: 'peers', peers })
  }
}, 50)

// --- plain values <-> Yjs types -------------------------------------------------------------------

function toY(value: unknown): unknown {
  if (Array.isArray(value)) {
    const arr = new Y.Array<unknown>()
    arr.push(value.map(toY))
    return arr
  }
  if (value !== null && typeof value === 'object') {
    const map = new Y.Map<unknown>()
    for (const [k, v] of Object.entries(value)) map.set(k, toY(v))
    return map
  }
  return value
}

/** The Yjs shape of a value: 'Y.Map' / 'Y.Array' with their children's shapes, or typeof. */
function shape(value: unknown): unknown {
  if (value instanceof Y.Map) {
    const fields: Record<string, unknown> = {}
    value.forEach((v, k) => (fields[k] = shape(v)))
    return { type: 'Y.Map', fields }
  }
  if (value instanceof Y.Array) return { type: 'Y.Array', items: value.toArray().map(shape) }
  if (value instanceof Y.AbstractType) return { type: value.constructor.name }
  return value === null ? 'null' : typeof value
}

function setField(key: string, path: string[], value: unknown): void {
  let target = root.get(key)
  for (const p of path.slice(0, -1)) {
    if (!(target instanceof Y.Map)) throw new Error(`no map at ${p}`)
    target = target.get(p)
  }
  if (!(target instanceof Y.Map)) throw new Error(`record ${key} has no map at ${path.join('.')}`)
  target.set(path[path.length - 1]!, toY(value))
}

createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const cmd = JSON.parse(line) as {
      op: string
      key?: string | number
      fields?: Record<string, unknown>
      path?: string[]
      value?: unknown
    }
    const key = String(cmd.key)
    if (cmd.op === 'set') {
      doc.transact(() => root.set(key, toY({ key: cmd.key, ...cmd.fields })))
    } else if (cmd.op === 'field') {
      doc.transact(() => setField(key, cmd.path!, cmd.value))
    } else if (cmd.op === 'delete') {
      root.delete(key)
    } else if (cmd.op === 'dump') {
      const types: Record<string, unknown> = {}
      root.forEach((v, k) => (types[k] = shape(v)))
      out({ event: 'dump', records: root.toJSON(), types, peers: connectedPeers() })
    } else if (cmd.op === 'close') {
      provider.destroy()
      setTimeout(() => process.exit(0), 100)
    }
  } catch (err) {
    out({ event: 'error', message: String(err) })
  }
})
process.on('SIGTERM', () => {
  provider.destroy()
  setTimeout(() => process.exit(0), 100)
})

// The room (and its peerId) exists once the password's key is derived.
const waitRoom = setInterval(() => {
  if (!provider.room) return
  clearInterval(waitRoom)
  out({ event: 'started', peerId: provider.room.peerId })
}, 10)
