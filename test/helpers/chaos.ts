// The chaos harness: 3 to 5 room peers, each its own process with a file store, over real WebRTC;
// a seeded schedule edits concurrently (sets and removes fields, creates and deletes records),
// compacts, cuts links and peers off (real partitions in network namespaces, see chaos-net.ts),
// SIGKILLs and restarts peers. At the end every peer is brought back, and every copy must be equal
// and hold every acknowledged write that nothing its writer had not seen replaced
// (docs/compaction.md, "The invariant"). `npm run chaos` runs many; CI runs a few.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Partitioner } from './chaos-net.js'
import { PeerProcess } from './peer-process.js'
import { mulberry32 } from './prng.js'
import { startSignalingProcess } from './signaling-process.js'
import { sortDeep } from './sort-deep.js'

export type ChaosOp =
  | { t: 'set'; peer: number; rec: string; field: string }
  | { t: 'remove'; peer: number; rec: string; field: string }
  | { t: 'delete'; peer: number; rec: string }
  | { t: 'compact'; peer: number }
  | { t: 'link'; a: number; b: number; up: boolean }
  | { t: 'isolate'; peer: number; on: boolean }
  | { t: 'kill'; peer: number }
  | { t: 'restart'; peer: number }
  | { t: 'wait'; ms: number }

export interface ChaosSchedule {
  seed: number
  peers: number
  ops: ChaosOp[]
}

const RECORDS = ['c0', 'c1', 'c2', 'c3']
const FIELDS = ['a', 'b', 'c']

/** A seeded schedule of `length` ops for `peers` peers. */
export function generateSchedule(seed: number, peers: number, length: number): ChaosSchedule {
  const rnd = mulberry32(seed)
  const int = (n: number) => Math.floor(rnd() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  const ops: ChaosOp[] = []
  const dead = new Set<number>()
  const cutLinks = new Set<string>()
  const isolated = new Set<number>()
  for (let i = 0; i < length; i++) {
    const r = rnd()
    const peer = int(peers)
    if (r < 0.45) ops.push({ t: 'set', peer, rec: pick(RECORDS), field: pick(FIELDS) })
    else if (r < 0.5) ops.push({ t: 'remove', peer, rec: pick(RECORDS), field: pick(FIELDS) })
    else if (r < 0.55) ops.push({ t: 'delete', peer, rec: pick(RECORDS) })
    else if (r < 0.63) ops.push({ t: 'compact', peer })
    else if (r < 0.72) {
      const a = int(peers)
      const b = (a + 1 + int(peers - 1)) % peers
      const key = `${Math.min(a, b)}-${Math.max(a, b)}`
      const up = cutLinks.has(key)
      if (up) cutLinks.delete(key)
      else cutLinks.add(key)
      ops.push({ t: 'link', a, b, up })
    } else if (r < 0.79) {
      const on = !isolated.has(peer)
      if (on) isolated.add(peer)
      else isolated.delete(peer)
      ops.push({ t: 'isolate', peer, on })
    } else if (r < 0.84) {
      if (dead.has(peer)) {
        dead.delete(peer)
        ops.push({ t: 'restart', peer })
      } else if (dead.size < peers - 1) {
        dead.add(peer)
        ops.push({ t: 'kill', peer })
      }
    } else ops.push({ t: 'wait', ms: 100 + int(700) })
  }
  return { seed, peers, ops }
}

/** A write (`value` a string), a field's removal (`value` null) or a record's deletion (`field` null). */
interface Edit {
  id: number
  peer: number
  rec: string
  field: string | null
  value: string | null
  knew: Set<number>
  acked: boolean
}

export interface ChaosResult {
  failure: string | null
  edits: number
  acked: number
  compactions: number
  kills: number
  partitions: number
  deletions: number
  seconds: number
}

type Dict = Record<string, Record<string, unknown>>

/** What each peer has seen, learned from the dict it reports before each of its edits. */
class Oracle {
  readonly edits: Edit[] = []
  private readonly seen: Array<Set<number>>
  private readonly lastHeld: Array<Map<string, Set<number>>>

  constructor(peers: number) {
    this.seen = Array.from({ length: peers }, () => new Set())
    this.lastHeld = Array.from({ length: peers }, () => new Map())
  }

  private static ids(record: Record<string, unknown> | undefined): Set<number> {
    const out = new Set<number>()
    for (const v of Object.values(record ?? {})) if (typeof v === 'string' && /^v\d+$/.test(v)) out.add(Number(v.slice(1)))
    return out
  }

  /** Peer p reported `dict`: it has seen every value there and what their writers had seen. */
  observe(p: number, dict: Dict): void {
    const seen = this.seen[p]!
    // Holding a value means holding what it replaced at its key (a Yjs item depends on the item it
    // overwrote, a record on the deletion before it), not everything its writer had seen: updates of
    // different writers travel different broadcast trees and arrive in any order (the same rule as
    // the simulator's oracle, test/helpers/sim-oracle.ts; "came after" in docs/compaction.md).
    const learn = (id: number): void => {
      if (seen.has(id)) return
      seen.add(id)
      const e = this.edits[id]
      if (!e) return
      for (const k of e.knew) {
        const o = this.edits[k]
        if (o && o.rec === e.rec && (o.field === e.field || o.field === null || e.field === null)) learn(k)
      }
    }
    for (const [rec, held] of this.lastHeld[p]!) {
      if (dict[rec] !== undefined || held.size === 0) continue
      // A record it held is gone: it saw a deletion of it. Learned only when one deletion explains
      // it (two concurrent ones would leave the oracle guessing, and a guess could fail a run).
      const candidates = this.edits.filter((e) => e.rec === rec && e.field === null && [...held].every((h) => e.knew.has(h)))
      if (candidates.length === 1) learn(candidates[0]!.id)
    }
    this.lastHeld[p] = new Map()
    for (const [rec, record] of Object.entries(dict)) {
      const ids = Oracle.ids(record)
      for (const id of ids) learn(id)
      this.lastHeld[p]!.set(rec, ids)
    }
  }

  /**
   * Peer p was killed: what it knew in memory may not have reached its store, so it knows again only
   * what the dict it reports after its restart shows (without this the oracle credited a restarted
   * peer with values it had lost, and took its concurrent writes for ones that replaced them).
   */
  forget(p: number): void {
    this.seen[p] = new Set()
    this.lastHeld[p] = new Map()
  }

  /** The dict its writer held just before edit `e`: what the edit had seen. */
  saw(e: Edit, before: Dict): void {
    this.observe(e.peer, before)
    e.knew = new Set(this.seen[e.peer])
    e.knew.delete(e.id)
  }

  record(peer: number, rec: string, field: string | null, remove: boolean): Edit {
    const e: Edit = { id: this.edits.length, peer, rec, field, value: null, knew: new Set(this.seen[peer]), acked: false }
    if (field !== null && !remove) e.value = `v${e.id}`
    this.edits.push(e)
    this.seen[peer]!.add(e.id)
    return e
  }

  /** Every acknowledged write is in `final` unless something its writer had not seen replaced it. */
  check(final: Dict): string | null {
    for (const w of this.edits) {
      if (!w.acked || w.field === null || w.value === null) continue
      const now = final[w.rec]?.[w.field]
      const touches = (r: Edit) => r.id !== w.id && r.rec === w.rec && (r.field === w.field || r.field === null)
      if (now === w.value) {
        const killer = this.edits.find((r) => touches(r) && r.acked && r.knew.has(w.id))
        if (killer) return `${w.rec}/${w.field} is ${w.value}, which edit #${killer.id} (peer ${killer.peer}) had seen and replaced`
        continue
      }
      if (!this.edits.some((r) => touches(r) && !w.knew.has(r.id)))
        return `lost write: #${w.id} (peer ${w.peer}: ${w.rec}/${w.field} = ${w.value}); the copies hold ${JSON.stringify(now ?? null)}`
    }
    return null
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const canonical = (d: Dict) => JSON.stringify(sortDeep(d))

/** Plays one schedule with real processes on `net`; never throws for a failed invariant (see `failure`). */
export async function runChaos(schedule: ChaosSchedule, net: Partitioner, log: (line: string) => void = () => undefined): Promise<ChaosResult> {
  const started = performance.now()
  const n = schedule.peers
  const oracle = new Oracle(n)
  const result: ChaosResult = { failure: null, edits: 0, acked: 0, compactions: 0, kills: 0, partitions: 0, deletions: 0, seconds: 0 }
  const dirs = Array.from({ length: n }, () => mkdtempSync(join(tmpdir(), 'diffstream-chaos-')))
  const server = await startSignalingProcess({ wrap: net.hubWrap, host: net.hubListen })
  const room = `chaos-${schedule.seed}-${Date.now()}`
  const procs: Array<PeerProcess | null> = []
  const offline = new Set<number>()
  const start = (i: number): PeerProcess => {
    const p = new PeerProcess({
      room,
      signaling: `ws://${net.signalingHost(i)}:${server.port}`,
      password: 'chaos',
      name: `P${i}`,
      store: dirs[i],
      wrap: net.wrap(i),
      anyCandidates: net.kind === 'netns',
    })
    procs[i] = p
    return p
  }
  const ackFrom = (p: PeerProcess) => {
    for (const e of p.events) if (e.event === 'acked' && typeof e.id === 'number') oracle.edits[e.id]!.acked = true
  }
  try {
    for (let i = 0; i < n; i++) start(i)
    await Promise.all(procs.map((p) => p!.peers(n - 1, 60_000)))
    for (const op of schedule.ops) {
      const p = 'peer' in op ? procs[op.peer] : null
      switch (op.t) {
        case 'set':
        case 'remove':
        case 'delete': {
          if (!p) break
          const e = oracle.record(op.peer, op.rec, op.t === 'delete' ? null : op.field, op.t === 'remove')
          const edited = p.waitFor((ev) => ev.event === 'edited' && ev.id === e.id, 20_000)
          p.send({ op: 'edit', id: e.id, key: op.rec, ...(op.t === 'delete' ? {} : { field: op.field, value: e.value }) })
          oracle.saw(e, (await edited).before as Dict)
          result.edits++
          if (op.t === 'delete') result.deletions++
          break
        }
        case 'compact':
          if (p) {
            p.send({ op: 'compact' })
            result.compactions++
          }
          break
        case 'link':
          if (net.kind === 'netns') {
            net.setLink(op.a, op.b, op.up)
            if (!op.up) result.partitions++
          }
          break
        case 'isolate':
          if (op.on) result.partitions++
          if (net.kind === 'netns') net.setIsolated(op.peer, op.on)
          else {
            if (op.on) offline.add(op.peer)
            else offline.delete(op.peer)
            p?.send({ op: 'online', online: !op.on })
          }
          break
        case 'kill':
          if (p) {
            ackFrom(p)
            await p.kill('SIGKILL')
            oracle.forget(op.peer)
            procs[op.peer] = null
            result.kills++
          }
          break
        case 'restart':
          if (!p) {
            const q = start(op.peer)
            if (offline.has(op.peer)) q.send({ op: 'online', online: false })
          }
          break
        case 'wait':
          await sleep(op.ms)
          break
      }
      log(`${JSON.stringify(op)}`)
    }
    // Everyone back: links restored, peers online, the dead restarted; then until all are equal.
    net.healAll()
    for (let i = 0; i < n; i++) {
      if (!procs[i]) start(i)
      else if (offline.has(i)) procs[i]!.send({ op: 'online', online: true })
    }
    const deadline = Date.now() + 90_000
    let dumps = await Promise.all(procs.map((p) => p!.dump()))
    while (!(dumps.every((d) => canonical(d.records as Dict) === canonical(dumps[0]!.records as Dict)) && dumps.every((d) => d.epoch === dumps[0]!.epoch))) {
      if (Date.now() > deadline) {
        result.failure = `the copies did not converge in 90 s: ${dumps.map((d, i) => `P${i} epoch ${d.epoch} ${canonical(d.records as Dict)}`).join(' | ')}`
        return result
      }
      await sleep(300)
      dumps = await Promise.all(procs.map((p) => p!.dump()))
    }
    for (const p of procs) {
      const durable = p!.waitFor((e) => e.event === 'stored' && e.key === '*')
      p!.send({ op: 'whenStored' })
      await durable
      ackFrom(p!)
    }
    result.acked = oracle.edits.filter((e) => e.acked).length
    result.failure = oracle.check(dumps[0]!.records as Dict)
    // CHAOS_DEBUG=1: every edit with what it knew and whether it was acknowledged, and the final dict.
    if (process.env.CHAOS_DEBUG) {
      for (const e of oracle.edits) console.log('EDIT', JSON.stringify({ ...e, knew: [...e.knew] }))
      console.log('FINAL', canonical(dumps[0]!.records as Dict))
    }
    return result
  } catch (err) {
    result.failure = `the harness failed: ${(err as Error).message}`
    return result
  } finally {
    result.seconds = (performance.now() - started) / 1000
    net.healAll()
    await Promise.all(procs.map((p) => p?.kill('SIGKILL')))
    await server.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}
