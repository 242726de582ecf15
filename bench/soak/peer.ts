/*
 * One peer of `npm run bench:soak` (`bench/soak.ts` forks a producer, consumers and an editor):
 * joins the soak room over WebRTC; the producer streams the demo's auction bids (100 lots, `rate`
 * bids a second in 10 ticks); the editor (a `peer`) writes 50 notes twice a second, online or not.
 * Answers the parent's `sample` with its memory after a full GC and its room's counters, `online`
 * with `room.setOnline`, and `final` with a digest of its records and the notes it last wrote.
 *   node --expose-gc --import tsx bench/soak/peer.ts <signaling url> <producer|consumer|editor> <name> <rate>
 */
import { canonical } from './canonical.js'
import { joinRoom, type JsonObject } from '@diffstream/core'
import { Prng } from '../workloads/prng.js'

export interface SoakSample {
  name: string
  role: string
  pid: number
  /** `process.memoryUsage()` after a full GC, bytes. */
  rss: number
  heapUsed: number
  external: number
  arrayBuffers: number
  peers: number
  records: number
  /** Producer: updates written; consumer: change events seen. */
  updates: number
  bytesSent: number
  bytesReceived: number
  epoch: number
  epochChanges: number
  online: boolean
}

/** What a peer holds at the end: a digest of every record, and (the editor) the notes it wrote last. */
export interface SoakFinal {
  name: string
  digest: string
  records: number
  written: Record<string, unknown>
  held: Record<string, unknown>
}

const [signaling, role = 'consumer', name = role, rateArg = '1000'] = process.argv.slice(2)
if (!signaling || !process.send || !['producer', 'consumer', 'editor'].includes(role))
  throw new Error('usage: fork bench/soak/peer.ts <signaling url> <producer|consumer|editor> <name> <rate> with IPC')
const rate = Number(rateArg)

const room = joinRoom<JsonObject>('diffstream-soak', {
  signaling: [signaling],
  role: role === 'editor' ? 'peer' : (role as 'producer' | 'consumer'),
  name,
  candidateFilter: (c) => / (127\.0\.0\.1|::1) /.test(c),
})
let updates = 0
let epochChanges = 0
room.on('epoch', () => epochChanges++)
room.on('change', ({ origin }) => {
  if (origin === 'remote') updates++
})

if (role === 'producer') {
  const rng = new Prng(7)
  const users = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay']
  const lots = Array.from({ length: 100 }, (_, i) => ({
    key: i,
    title: `Lot ${i}: a fine old thing`,
    description: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. '.repeat(2),
    last_bid: { user: users[i % users.length]!, price: 10, time: Date.now() },
  }))
  for (const lot of lots) room.cache.update(lot)
  // As the demo: 10 ticks a second, rate/10 bids each, while someone listens.
  setInterval(() => {
    if (room.peers.length === 0) return
    for (let n = 0; n < rate / 10; n++) {
      const lot = lots[rng.int(0, lots.length - 1)]!
      lot.last_bid = { user: rng.pick(users), price: lot.last_bid.price + rng.int(1, 9), time: Date.now() }
      room.cache.update(lot)
      updates++
    }
  }, 100)
}

// The editor's notes: what it wrote last to each, which every copy must hold in the end.
const written: Record<string, JsonObject> = {}
let editing: ReturnType<typeof setInterval> | null = null
if (role === 'editor') {
  let n = 0
  editing = setInterval(() => {
    const key = `note-${n % 50}`
    const note = { key, text: `written ${online ? 'online' : 'offline'} #${n}`, n }
    room.cache.update(note)
    written[key] = note
    n++
  }, 500)
}
let online = true

function digest(): string {
  const ids = room.cache.keys().map(String).sort()
  let h = 0x811c9dc5
  for (const id of ids) {
    const text = id + canonical(room.cache.get(id))
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  }
  return `${ids.length}:${(h >>> 0).toString(16)}`
}

process.on('message', (msg: { op: 'sample' } | { op: 'exit' } | { op: 'online'; online: boolean } | { op: 'final' } | { op: 'stop' }) => {
  if (msg.op === 'stop') {
    if (editing) clearInterval(editing)
    return
  }
  if (msg.op === 'exit') {
    void room.close().finally(() => process.exit(0))
    return
  }
  if (msg.op === 'online') {
    online = msg.online
    room.setOnline(msg.online)
    return
  }
  if (msg.op === 'final') {
    const held: Record<string, unknown> = {}
    for (let i = 0; i < 50; i++) held[`note-${i}`] = room.cache.get(`note-${i}`) ?? null
    const final: SoakFinal = { name, digest: digest(), records: room.cache.size, written, held }
    process.send!(final)
    return
  }
  globalThis.gc?.()
  const m = process.memoryUsage()
  const s = room.stats
  const sample: SoakSample = {
    name,
    role,
    pid: process.pid,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    peers: room.peers.length,
    records: room.cache.size,
    updates,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
    epoch: room.epoch,
    epochChanges,
    online,
  }
  process.send!(sample)
})
process.on('disconnect', () => process.exit(0))
