/**
 * What single @roamhq/wrtc data-channel calls cost the calling JavaScript thread: `send` of a
 * 70-byte message and a `bufferedAmount` read (both cross into WebRTC's own threads), back to back
 * and spaced 1 ms apart (threads asleep in between, as at 1 000 updates/s), and simple-peer's
 * stream `write` (send + bufferedAmount, the path a room uses). Two peers in this process, loopback
 * candidates only.
 *   node --import tsx bench/rooms/probes/wrtc-calls.ts
 */
import SimplePeer from 'simple-peer'
import { percentile } from '../stats.js'

type Wrtc = NonNullable<SimplePeer.Options['wrtc']>
const wrtc = (await import('@roamhq/wrtc').then((m) => (m as { default?: Wrtc }).default ?? m)) as Wrtc
const loopback = (c: string): boolean => / (127\.0\.0\.1|::1) /.test(c)

const a = new SimplePeer({ initiator: true, wrtc, config: { iceServers: [] } })
const b = new SimplePeer({ wrtc, config: { iceServers: [] } })
for (const [from, to] of [
  [a, b],
  [b, a],
] as const) {
  from.on('signal', (d: SimplePeer.SignalData) => {
    const c = (d as { candidate?: { candidate?: string } }).candidate?.candidate
    if (c === undefined || loopback(c)) to.signal(d)
  })
}
await Promise.all([new Promise((r) => a.once('connect', r)), new Promise((r) => b.once('connect', r))])
b.on('data', () => {})
const channel = (a as unknown as { _channel: RTCDataChannel })._channel
const msg = new Uint8Array(70)

/** Times `f` n times, back to back (via setImmediate) or `gapMs` apart; prints p50 and p99 in µs. */
function time(label: string, f: () => void, n: number, gapMs: number): Promise<void> {
  return new Promise((resolve) => {
    const us: number[] = []
    const step = (): void => {
      const t = performance.now()
      f()
      us.push((performance.now() - t) * 1000)
      if (us.length < n) {
        if (gapMs > 0) setTimeout(step, gapMs)
        else setImmediate(step)
        return
      }
      us.sort((x, y) => x - y)
      console.log(
        `${label.padEnd(40)} p50 ${percentile(us, 50).toFixed(0).padStart(5)} µs   p99 ${percentile(us, 99).toFixed(0).padStart(5)} µs`,
      )
      resolve()
    }
    step()
  })
}

await time('bufferedAmount, back to back', () => void channel.bufferedAmount, 2000, 0)
await time('bufferedAmount, 1 ms apart', () => void channel.bufferedAmount, 500, 1)
await time('channel.send(70 B), back to back', () => channel.send(msg), 2000, 0)
await time('channel.send(70 B), 1 ms apart', () => channel.send(msg), 500, 1)
await time('simple-peer write(70 B), 1 ms apart', () => void a.write(msg), 500, 1)
a.destroy()
b.destroy()
setTimeout(() => process.exit(0), 100)
