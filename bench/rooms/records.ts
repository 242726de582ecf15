import { createHash } from 'node:crypto'
import type { JsonObject, JsonValue } from '@diffstream/core'
import { Prng } from '../workloads/prng.js'

/* Records of the rooms suite: auction lots for the latency runs, ~10 KB catalogue items for the sync. */

const USERS = ['Alice', 'Bob', 'Charles', 'Dana', 'Eric', 'Felix', 'Gina', 'Helen', 'Ina', 'Josie'] as const
const TITLES = [
  'Super Duper Space Monkey',
  'Antique Bobble Wheel',
  'One-of-a-kind Dinglewobber',
  'Singularity Point Projector',
] as const
const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ' +
  'Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. '

export interface Bid extends JsonObject {
  user: string
  price: number
  time: number
}

export interface Lot extends JsonObject {
  key: string
  title: string
  description: string
  last_bid: Bid
  /** Sequence number of the update that wrote this version (how the consumer matches send and change). */
  seq: number
}

/** Auction lots the latency runs create, then update round robin (item i and i + LOTS update the same lot). */
export const LOTS = 100

/** `n` auction lots as the latency runs create them (untimed) before updating their `last_bid`. */
export function initialLots(n: number, seed: number): Lot[] {
  const rng = new Prng(seed)
  return Array.from({ length: n }, (_, i) => ({
    key: `lot-${i}`,
    title: rng.pick(TITLES),
    description: LOREM.slice(0, rng.int(40, LOREM.length)),
    last_bid: { user: rng.pick(USERS), price: 0, time: 0 },
    seq: -1,
  }))
}

/** The next version of a lot: a new `last_bid` (user, raised price, time) and the update's `seq`. */
export function bidOn(lot: Lot, seq: number, rng: Prng): Lot {
  return {
    ...lot,
    last_bid: { user: rng.pick(USERS), price: lot.last_bid.price + rng.int(1, 10), time: Date.now() },
    seq,
  }
}

/** Bytes of JSON in one catalogue item. */
export const ITEM_JSON_BYTES = 10_000
/** Items in the "many records" set (and nested in the single big record). */
export const ITEMS = 1_000

const utf8 = new TextEncoder()
export const jsonBytes = (v: JsonValue): number => utf8.encode(JSON.stringify(v)).length

/**
 * A catalogue item of exactly {@link ITEM_JSON_BYTES} bytes of JSON: title, seller, tags, a history
 * of 40 bids (each a nested object, as a real record would have), and a description padded to size.
 */
function item(i: number, rng: Prng): JsonObject {
  const bids: Bid[] = []
  let price = rng.int(1, 100)
  for (let b = 0; b < 40; b++) {
    price += rng.int(1, 25)
    bids.push({ user: rng.pick(USERS), price, time: 1_700_000_000_000 + i * 1000 + b })
  }
  const rec: JsonObject = {
    key: `item-${i}`,
    title: `${rng.pick(TITLES)} #${rng.hex(6)}`,
    seller: { name: rng.pick(USERS), rating: rng.int(1, 5), since: 2000 + rng.int(0, 24) },
    tags: Array.from({ length: 8 }, () => rng.hex(8)),
    bids,
    last_bid: bids[bids.length - 1]!,
    description: '',
  }
  const room = ITEM_JSON_BYTES - jsonBytes(rec)
  let text = ''
  while (text.length < room) text += `${rng.hex(8)} ${LOREM}`
  rec['description'] = text.slice(0, room)
  return rec
}

/** The records of a sync run: {@link ITEMS} items, or one record holding all of them by key. */
export function syncRecords(set: 'many' | 'one', seed: number): JsonObject[] {
  const rng = new Prng(seed)
  const items = Array.from({ length: ITEMS }, (_, i) => item(i, rng))
  if (set === 'many') return items
  const lots: JsonObject = {}
  for (const it of items) lots[String(it['key'])] = it
  return [{ key: 'catalogue', lots }]
}

/** JSON with object keys sorted, so copies built in another order compare equal. */
export function canonicalJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k] as JsonValue)}`).join(',')}}`
  }
  return JSON.stringify(v)
}

/** SHA-256 of the records' canonical JSON, in key order. */
export function digest(records: readonly JsonObject[]): string {
  const h = createHash('sha256')
  const sorted = [...records].sort((a, b) => (String(a['key']) < String(b['key']) ? -1 : 1))
  for (const r of sorted) h.update(canonicalJson(r))
  return h.digest('hex')
}
