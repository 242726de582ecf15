// A DiffStream room peer in its own process, driven by JSON lines on stdin and reporting JSON
// lines on stdout, so that integration tests use real processes and real WebRTC.
//   args: --room NAME --signaling URL[,URL...] [--password P] [--role peer|producer|consumer] [--name N]
//         [--relay] (iceTransportPolicy 'relay') [--any-candidates] (no loopback-only filter)
//         [--ice-servers JSON] (given iceServers; without it the room asks its signaling servers)
//         [--max-conns N] [--heartbeat-ms N] [--changes] [--compaction JSON] [--digest-ms N]
//         [--writers JSON] [--writer-key JSON] (a signed room: its writers' public keys, this peer's key)
//   stdin:  {"op":"update","data":{...}} | {"op":"delete","key":K} | {"op":"updateMany","records":[...]}
//           {"op":"dump"} | {"op":"compact"} | {"op":"close"}   (--store DIR: a file store; "stored" events)
//           {"op":"online","online":false|true}   (the app's offline toggle: room.setOnline)
//           {"op":"whenStored"}   (answers {"event":"stored","key":"*"} once everything so far is durable)
//           {"op":"edit","id":N,"key":K,"field":F,"value":V|null}  sets (or with null removes) one field,
//           {"op":"edit","id":N,"key":K}  deletes the record; both answer {"event":"edited","id":N,"before":{...}}
//           with the whole dict as it was just before, then {"event":"acked","id":N} once durable
//           {"op":"paths"} -> {"event":"paths","paths":[{peerId,type,local,remote,protocol,rttMs}]}
//   stdout: {"event":"peers","peers":[...]} | {"event":"synced"} | {"event":"dump","records":{...}}
//           {"event":"warning","message":"..."} | {"event":"error","message":"..."}
//           {"event":"refused","peerId":"...","error":"UnauthorizedWriteError","message":"..."} (signed rooms)
//           with --changes: {"event":"change","key":K,"origin":"remote"|"local"} for every change
//           {"event":"diverged",peerId,reason,records,clients,healing} | {"event":"healed",peerId,records}
import { createInterface } from 'node:readline'
import { joinRoom, type WriterKeyPair } from '@diffstream/core'
import { openFileStore } from '@diffstream/core/node'

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const out = (msg: Record<string, unknown>) => process.stdout.write(JSON.stringify(msg) + '\n')
const loopback = (c: string) => / (127\.0\.0\.1|::1) /.test(c)

// --store DIR keeps the room in a file store, so a restarted peer finds its (offline) edits
const storeDir = arg('store')
const iceServers = arg('ice-servers')
const store = storeDir ? await openFileStore(storeDir) : undefined
const room = joinRoom<Record<string, unknown>>(arg('room')!, {
  store,
  signaling: arg('signaling')!.split(','),
  password: arg('password'),
  role: arg('role', 'peer') as 'peer' | 'producer' | 'consumer',
  name: arg('name'),
  // --compaction JSON: the room's compaction options (e.g. an eager policy for tests)
  ...(arg('compaction') ? { compaction: JSON.parse(arg('compaction')!) as { ratio: number; minBytes: number } } : {}),
  candidateFilter: process.argv.includes('--any-candidates') ? undefined : loopback,
  iceTransportPolicy: process.argv.includes('--relay') ? 'relay' : 'all',
  ...(iceServers ? { iceServers: JSON.parse(iceServers) as RTCIceServer[] } : {}),
  maxConns: arg('max-conns') ? Number(arg('max-conns')) : undefined,
  heartbeatMs: arg('heartbeat-ms') ? Number(arg('heartbeat-ms')) : undefined,
  ...(arg('writers') ? { writers: JSON.parse(arg('writers')!) as string[] } : {}),
  ...(arg('writer-key') ? { writerKey: JSON.parse(arg('writer-key')!) as WriterKeyPair } : {}),
  ...(arg('digest-ms') ? { antiEntropy: { digestMs: Number(arg('digest-ms')) } } : {}),
})
room.on('refused', ({ peerId, error }) => out({ event: 'refused', peerId, error: error.name, message: error.message }))
if (process.argv.includes('--changes')) room.on('change', (c) => out({ event: 'change', key: c.key, origin: c.origin }))
room.on('peers', (peers) => out({ event: 'peers', peers }))
room.on('diverged', (d) => out({ event: 'diverged', ...d }))
room.on('healed', (h) => out({ event: 'healed', ...h }))
room.on('warning', (message) => out({ event: 'warning', message }))
room.on('status', (status) => {
  if (status.synced) out({ event: 'synced' })
})

function dump(): Record<string, unknown> {
  const records: Record<string, unknown> = {}
  for (const k of room.cache.keys()) records[String(k)] = room.cache.get(k)
  return records
}

interface Edit {
  id: number
  key: string
  field?: string
  value?: unknown
}

/** One field (or the whole record) edited on the freshest copy: what the chaos harness records. */
function edit(e: Edit): void {
  const before = dump()
  const current = room.cache.get(e.key)
  if (e.field === undefined) room.cache.delete(e.key)
  else if (e.value === null) {
    if (current) {
      const next = { ...current }
      delete next[e.field]
      room.cache.update(next)
    }
  } else room.cache.update({ ...(current ?? { key: e.key }), [e.field]: e.value })
  out({ event: 'edited', id: e.id, before })
  void room.whenStored().then(() => out({ event: 'acked', id: e.id }))
}

createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const cmd = JSON.parse(line) as {
      op: string
      data?: Record<string, unknown>
      key?: string | number
      records?: Array<Record<string, unknown>>
      online?: boolean
    }
    if (cmd.op === 'update') {
      room.cache.update(cmd.data!)
      // with a store, report once the write is durable
      if (store) void room.whenStored().then(() => out({ event: 'stored', key: cmd.data!.key }))
    } else if (cmd.op === 'compact') room.compact()
    else if (cmd.op === 'updateMany') for (const r of cmd.records!) room.cache.update(r)
    else if (cmd.op === 'delete') {
      room.cache.delete(cmd.key!)
      if (store) void room.whenStored().then(() => out({ event: 'stored', key: cmd.key }))
    } else if (cmd.op === 'online') room.setOnline(cmd.online === true)
    else if (cmd.op === 'edit') edit(cmd as unknown as Edit)
    else if (cmd.op === 'whenStored') void room.whenStored().then(() => out({ event: 'stored', key: '*' }))
    else if (cmd.op === 'dump')
      out({
        event: 'dump',
        records: dump(),
        peers: room.peers,
        stats: room.stats,
        epoch: room.epoch,
        status: room.status,
        // the names in awareness: the peers this one knows are there
        names: Array.from(room.awareness.getStates().values()).map((st) => (st as { name?: string }).name),
      })
    else if (cmd.op === 'paths') void room.paths().then((paths) => out({ event: 'paths', paths }))
    else if (cmd.op === 'close') void room.close().then(() => process.exit(0))
  } catch (err) {
    out({ event: 'error', message: String(err) })
  }
})
process.on('SIGTERM', () => void room.close().then(() => process.exit(0)))
out({ event: 'started', peerId: room.peerId })
