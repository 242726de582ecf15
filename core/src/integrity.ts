import * as Y from 'yjs'
import type { DataMsg } from './data-msg.js'
import { ChecksumMismatchError, DivergedError } from './errors.js'
import { fieldHash } from './hash.js'
import type { Key } from './keys.js'
import type { Mirror } from './mirror.js'
import type { RecordViews } from './record-views.js'
import type { SourceDigest } from './source-digest.js'
import { digestOfShares } from './source-digest-codec.js'
import { dependenciesMet, type UpdateInspection } from './update-inspect.js'

/*
 * Anti-entropy for the facade (docs/integrity.md): a `ret` carries what its sender holds, and the
 * receiver compares. Two copies that have seen the same changes (equal state vectors) must hold
 * the same records and deletions; and nobody can hold more of a client's changes than the copy
 * that wrote them. Either failing means the receiver accepted something its source never wrote.
 */

/** Above this many records a digest lists no per-record shares (4 bytes each). */
export const LISTED_RECORDS = 4096

/** A document's state vector, read from its store (Yjs' own is not exported). */
export function stateVectorOf(doc: Y.Doc): Map<number, number> {
  const sv = new Map<number, number>()
  for (const [client, structs] of doc.store.clients) {
    const last = structs[structs.length - 1]
    if (last) sv.set(client, last.id.clock + last.length)
  }
  return sv
}

/** Every live record's share of the dict digest (its id and checksum hashed together), with its id. */
function sharesIn(root: Y.Map<unknown>, views: RecordViews): Array<[share: number, id: string]> {
  const out: Array<[number, string]> = []
  for (const [id, item] of root._map) {
    if (item.deleted || !(item.content instanceof Y.ContentType) || !(item.content.type instanceof Y.Map)) continue
    out.push([fieldHash(id, views.digest(item.content.type).hash), id])
  }
  return out
}

function sharesOf(mirror: Mirror): Array<[share: number, id: string]> {
  return sharesIn(mirror.root, mirror.views)
}

/** The digest of the dict under `root` (see {@link SourceDigest.digest}). */
export function digestOfRoot(root: Y.Map<unknown>, views: RecordViews): { digest: number; records: number } {
  const shares = sharesIn(root, views)
  return {
    digest: digestOfShares(
      shares.map(([share]) => share),
      shares.length,
    ),
    records: shares.length,
  }
}

/**
 * Whether an update holds the whole state a state vector names: every client's changes from clock
 * 0 to its clock, no other client, and nothing it builds on from outside.
 */
export function holdsWhole(inspection: UpdateInspection, sv: ReadonlyMap<number, number>): boolean {
  for (const [client, range] of inspection.ranges) if (sv.get(client) !== range.end || range.start !== 0) return false
  for (const [client, clock] of sv) if (clock > 0 && !inspection.ranges.has(client)) return false
  return dependenciesMet(inspection, () => 0)
}

/** What `mirror` holds, as a `ret` message carries it; `writers` as {@link SourceDigest.writers}. */
export function describeSource(mirror: Mirror, writers: 'all' | number[]): SourceDigest {
  const shares = sharesOf(mirror).map(([share]) => share)
  return {
    stateVector: stateVectorOf(mirror.doc),
    writers,
    records: shares.length,
    digest: digestOfShares(shares, shares.length),
    shares: shares.length <= LISTED_RECORDS ? shares : null,
  }
}

/** How a copy differs from its source: see `DivergedError`. */
export interface Divergence {
  /** Ids of this copy's records that differ from the source's or that it lacks. */
  ids: string[]
  /** The source's records this copy lacks or holds differently (0 when the source listed no shares). */
  differing: number
  /** Clients of which this copy holds more than the source vouches were written. */
  clients: number[]
  /** Both saw the same changes, yet this copy deleted something the source did not. */
  deletes: boolean
}

/**
 * Compares `mirror`, right after it applied a `ret`, with what the `ret`'s sender holds (`source`,
 * and `state`, its fingerprint or 0). Changes this copy wrote itself that the source has not seen
 * yet are not a divergence; more under its own client id than it wrote is (a forgery using its id).
 * Returns null when nothing shows.
 */
export function findDivergence(mirror: Mirror, source: SourceDigest, state: number): Divergence | null {
  const local = stateVectorOf(mirror.doc)
  const vouched = source.writers === 'all' ? null : new Set(source.writers)
  const clients: number[] = []
  let same = local.size === source.stateVector.size
  for (const [client, clock] of local) {
    const theirs = source.stateVector.get(client) ?? 0
    if (clock !== theirs) same = false
    if (clock > theirs && clock > mirror.ownEnd(client) && (vouched === null || vouched.has(client)))
      clients.push(client)
  }
  if (clients.length === 0 && !same) return null
  // Equal state vectors: this copy received every deletion the source made, so any other is extra.
  const deletes = same && state !== 0 && mirror.fingerprint() !== state
  const mine = sharesOf(mirror)
  const sameRecords =
    mine.length === source.records &&
    digestOfShares(
      mine.map(([share]) => share),
      mine.length,
    ) === source.digest
  if (clients.length === 0 && sameRecords && !deletes) return null
  const ids: string[] = []
  let differing = 0
  if (source.shares) {
    const theirs = new Set(source.shares)
    const held = new Set(mine.map(([share]) => share))
    for (const [share, id] of mine) if (!theirs.has(share)) ids.push(id)
    for (const share of theirs) if (!held.has(share)) differing++
  }
  return { ids, differing, clients, deletes }
}

/** The error a divergence is reported with; `keyOf` turns record ids into keys. */
export function divergedError(what: string, d: Divergence, keyOf: (id: string) => Key): DivergedError {
  const parts: string[] = []
  if (d.clients.length > 0) parts.push(`it holds changes of client ${d.clients.join(', ')} that the sender never made`)
  if (d.ids.length > 0) parts.push(`records ${d.ids.map((id) => JSON.stringify(id)).join(', ')} differ`)
  if (d.differing > 0) parts.push(`${d.differing} of the sender's records are missing or differ`)
  if (d.deletes) parts.push('it deleted what the sender did not')
  if (parts.length === 0) parts.push("its records differ from the sender's")
  return new DivergedError(
    `${what}: this copy differs from the sender and a diff cannot repair it (${parts.join('; ')}); ` +
      'nothing was applied: resync from a full retran',
    d.ids.map(keyOf),
    d.differing,
    d.clients,
  )
}

/** Checks that a resync's new document (`root`, with state fingerprint `fingerprint`) is what `msg`'s digest says. */
export function checkWhole(
  msg: DataMsg,
  source: SourceDigest,
  root: Y.Map<unknown>,
  fingerprint: number,
  views: RecordViews,
): void {
  const { digest, records } = digestOfRoot(root, views)
  if (digest !== source.digest || records !== source.records || (msg.state !== 0 && msg.state !== (fingerprint || 1)))
    throw new ChecksumMismatchError(`ret ${JSON.stringify(msg.key)}: its state does not match its own digest`)
}
