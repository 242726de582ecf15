import type SimplePeer from 'simple-peer'
import type { PeerFactory } from './peer-link.js'
import type { WebSocketLike } from './signaling-client.js'

/*
 * The platform pieces a room needs, found at run time so that one build runs in browsers and
 * Electron renderers (which have WebSocket and RTCPeerConnection) and in Node (which gets `ws` and
 * `@roamhq/wrtc`). Loaded with computed specifiers so that bundlers leave the Node-only modules out.
 */

async function load<T>(specifier: string): Promise<T> {
  const mod = (await import(/* @vite-ignore */ specifier)) as { default?: T }
  return (mod.default ?? mod) as T
}

/** The WebSocket constructor: the platform's, else the `ws` package. */
export async function webSocketImpl(): Promise<WebSocketLike> {
  const native = (globalThis as { WebSocket?: WebSocketLike }).WebSocket
  return native ?? load<WebSocketLike>('ws')
}

/** A simple-peer factory wired to the platform's WebRTC, or to `wrtc` (default: `@roamhq/wrtc` in Node). */
export async function peerFactory(wrtc?: SimplePeer.Options['wrtc']): Promise<PeerFactory> {
  const Peer = await load<new (opts: SimplePeer.Options) => SimplePeer.Instance>('simple-peer')
  let impl = wrtc
  if (!impl && typeof (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'undefined') {
    impl = await load<NonNullable<SimplePeer.Options['wrtc']>>('@roamhq/wrtc')
  }
  return (opts) => new Peer(impl ? { ...opts, wrtc: impl } : opts)
}

/** Raw DEFLATE, synchronous: packs an initial sync's pieces for peers that read them (docs/rooms.md). */
export interface Packing {
  deflate(bytes: Uint8Array): Uint8Array
  /** Inflates to exactly `length` bytes; throws on anything else (a bomb, garbage). */
  inflate(bytes: Uint8Array, length: number): Uint8Array
}

/** Node's zlib as a {@link Packing}; null where there is no synchronous inflate (browsers). */
export async function packingImpl(): Promise<Packing | null> {
  type Zlib = {
    deflateRawSync(b: Uint8Array, o: { level: number }): Uint8Array
    inflateRawSync(b: Uint8Array, o: { maxOutputLength: number }): Uint8Array
  }
  // Only Node has it; in a browser the import would be a request the page's CSP reports.
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process
  if (!proc?.versions?.node) return null
  let zlib: Zlib
  try {
    zlib = await load<Zlib>('node:zlib')
    if (typeof zlib.inflateRawSync !== 'function') return null
  } catch {
    return null
  }
  return {
    deflate: (bytes) => zlib.deflateRawSync(bytes, { level: 1 }),
    inflate(bytes, length) {
      // One byte of room past the length declared: more than declared fails here, not in memory.
      const out = zlib.inflateRawSync(bytes, { maxOutputLength: length + 1 })
      if (out.length !== length) throw new RangeError(`inflated ${out.length} bytes, ${length} declared`)
      return new Uint8Array(out.buffer, out.byteOffset, out.length)
    },
  }
}

/** A random id for this peer on the signaling server (y-webrtc uses a UUID too). */
export function randomPeerId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (c?.randomUUID) return c.randomUUID()
  return Array.from({ length: 4 }, () =>
    Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0'),
  ).join('-')
}
