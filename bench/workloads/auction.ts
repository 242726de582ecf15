import type { JsonValue } from '@diffstream/core'
import type { BenchRecord } from '../contender.js'
import { Prng } from './prng.js'
import type { Workload } from './workload.js'

/* Names, titles and text as in the original's app/data.py auction generator. */
const USERS = [
  'Alice',
  'Bob',
  'Charles',
  'Dana',
  'Eric',
  'Felix',
  'Gina',
  'Helen',
  'Ina',
  'Josie',
  'Kenny',
  'Lars',
  'Michelle',
  'Nicholas',
  'Oscar',
  'Pepper',
] as const
const TITLES = [
  'Super Duper Space Monkey',
  'Antique Bobble Wheel',
  'One-of-a-kind Dinglewobber',
  'Singularity Point Projector',
  'Yesterdays Must-Have-Thing',
  'Somebody elses idea of fun',
] as const
const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ' +
  'Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. ' +
  'Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. ' +
  'Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum'

interface Bid {
  [field: string]: JsonValue
  user: string | null
  price: number
  time: string | null
}

interface Auction extends BenchRecord {
  key: string
  title: string
  description: string
  last_bid: Bid
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** Python's `str(datetime.datetime.utcnow())`: `2024-01-01 00:00:00.000000`. */
function pythonTime(micros: number): string {
  const d = new Date(Math.floor(micros / 1000))
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(micros % 1_000_000, 6)}`
  )
}

/**
 * The original's auction generator, one tick at a time (the memory suite streams a million ticks
 * without holding them): `auctions` auctions (uuid-hex key, title, a slice of lorem as description,
 * `last_bid: {user: null, price: 0, time: null}`), then each `next()` picks one auction at random
 * and replaces its `last_bid` with a new user, the price raised by 1..10 and a new timestamp (a
 * simulated clock advancing 1 µs..2 s per tick).
 */
export class AuctionTicks {
  readonly initial: readonly BenchRecord[]
  private readonly rng: Prng
  private readonly current: Auction[] = []
  private clock = Date.UTC(2024, 0, 1) * 1000

  constructor(auctions: number, seed: number) {
    this.rng = new Prng(seed)
    const rng = this.rng
    for (let i = 0; i < auctions; i++) {
      const from = rng.int(0, Math.floor(LOREM.length / 2))
      const to = rng.int(from, LOREM.length)
      this.current.push({
        key: rng.hex(32),
        title: rng.pick(TITLES),
        description: LOREM.slice(from, to),
        last_bid: { user: null, price: 0, time: null },
      })
    }
    this.initial = this.current.slice()
  }

  next(): BenchRecord {
    const rng = this.rng
    this.clock += rng.int(1, 2_000_000)
    const at = rng.int(0, this.current.length - 1)
    const old = this.current[at]!
    const next: Auction = {
      ...old,
      last_bid: { user: rng.pick(USERS), price: old.last_bid.price + rng.int(1, 10), time: pythonTime(this.clock) },
    }
    this.current[at] = next
    return next
  }

  /** The latest version of every auction. */
  records(): readonly BenchRecord[] {
    return this.current
  }
}

/** The auction stream as a workload: {@link AuctionTicks}' auctions created first (untimed), then `ticks` ticks. */
export function auctionStream(auctions: number, ticks: number, seed: number): Workload {
  const gen = new AuctionTicks(auctions, seed)
  const updates: BenchRecord[] = []
  for (let t = 0; t < ticks; t++) updates.push(gen.next())
  return {
    name: 'auction',
    description: `${auctions} auctions created first (untimed), then ${ticks} ticks, each replacing one auction's last_bid {user, price, time}`,
    initial: gen.initial,
    updates,
  }
}
