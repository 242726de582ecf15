// A malicious room member for the integrity tests: it speaks y-webrtc's protocol (so DiffStream
// peers accept its Yjs sync frames), links to ONE chosen peer only, keeps a copy of the room's
// document from that link, and sends updates forged with Yjs under another writer's client id.
import WebSocket from 'ws'
import SimplePeer from 'simple-peer'
import wrtc from '@roamhq/wrtc'
import * as Y from 'yjs'

const loopback = (c: string) => / (127\.0\.0\.1|::1) /.test(c)

export interface Forger {
  /** The forger's copy of the room's document (kept up to date from its one link). */
  readonly doc: Y.Doc
  /** Whether the victim closed the link. */
  readonly closed: boolean
  /**
   * Builds, on a copy of the document, an update written as Yjs client `client` (its next clocks:
   * ahead of the writer's own when `client` is a writer's current id) and sends it on the link.
   */
  forge(client: number, write: (root: Y.Map<unknown>) => void): Uint8Array
  close(): void
}

/** A y-protocols sync frame: message type 0, sync sub-type, length-prefixed payload. */
export function syncFrame(sub: number, payload: Uint8Array): Uint8Array {
  const head = [0, sub]
  let n = payload.length
  while (n > 0x7f) {
    head.push(0x80 | (n % 128))
    n = Math.floor(n / 128)
  }
  head.push(n)
  const out = new Uint8Array(head.length + payload.length)
  out.set(head)
  out.set(payload, head.length)
  return out
}

function readVarUint(bytes: Uint8Array, at: number): [number, number] {
  let n = 0
  let mult = 1
  for (;;) {
    const b = bytes[at++]!
    n += (b & 0x7f) * mult
    if (b < 0x80) return [n, at]
    mult *= 128
  }
}

/** Joins room `topic` on the signaling server at `url` and links to peer `target` only; resolves once synced. */
export function startForger(url: string, topic: string, target: string, timeoutMs = 30_000): Promise<Forger> {
  const id = `forger-${Math.random().toString(16).slice(2)}`
  const ws = new WebSocket(url)
  const doc = new Y.Doc()
  let peer: SimplePeer.Instance | null = null
  let closed = false
  let synced = false
  const publish = (data: Record<string, unknown>) => ws.send(JSON.stringify({ type: 'publish', topic, data }))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the forger did not sync with its target')), timeoutMs)
    const forger: Forger = {
      doc,
      get closed() {
        return closed
      },
      forge(client, write) {
        const copy = new Y.Doc()
        Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
        const sv = Y.encodeStateVector(copy)
        copy.clientID = client
        copy.transact(() => write(copy.getMap('diffstream')))
        const update = Y.encodeStateAsUpdate(copy, sv)
        peer!.send(syncFrame(2, update))
        return update
      },
      close() {
        peer?.destroy()
        ws.close()
      },
    }
    const onData = (data: Uint8Array) => {
      if (data[0] !== 0) return
      const [sub, at] = readVarUint(data, 1)
      const [len, start] = readVarUint(data, at)
      const payload = data.subarray(start, start + len)
      if (sub === 0) peer!.send(syncFrame(1, Y.encodeStateAsUpdate(doc, payload)))
      else Y.applyUpdate(doc, payload)
      if (sub === 1 && !synced) {
        synced = true
        clearTimeout(timer)
        resolve(forger)
      }
    }
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', topics: [topic] }))
      publish({ type: 'announce', from: id })
    })
    ws.on('error', () => undefined)
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as {
        type: string
        data?: { type: string; from: string; to?: string; signal?: SimplePeer.SignalData }
      }
      const d = msg.data
      if (msg.type !== 'publish' || !d || d.from !== target || peer) {
        if (d?.type === 'signal' && d.to === id && d.from === target && peer) peer.signal(d.signal!)
        return
      }
      if (d.type !== 'announce') return
      // Like y-webrtc, it offers; but only to its target.
      peer = new SimplePeer({ initiator: true, wrtc: wrtc as SimplePeer.Options['wrtc'], config: { iceServers: [] } })
      peer.on('signal', (signal: SimplePeer.SignalData) => {
        const c = (signal as { candidate?: { candidate?: string } }).candidate?.candidate
        if (c && !loopback(c)) return
        publish({ type: 'signal', from: id, to: target, signal })
      })
      peer.on('connect', () => peer!.send(syncFrame(0, Y.encodeStateVector(doc))))
      peer.on('data', (data: Uint8Array) => {
        try {
          onData(new Uint8Array(data))
        } catch {
          // not ours to judge: the forger only needs the document
        }
      })
      peer.on('close', () => (closed = true))
      peer.on('error', () => undefined)
    })
  })
}
