import type { JsonObject } from '@diffstream/core'
import type { BenchRecord } from '../contender.js'
import { syncRecords } from '../rooms/records.js'
import { Prng } from './prng.js'
import type { Workload } from './workload.js'

const USERS = ['Alice', 'Bob', 'Charles', 'Dana', 'Eric', 'Felix', 'Gina', 'Helen'] as const

/**
 * One big record (the rooms suite's catalogue: `items` items of 10 KB by key, each with 40 nested
 * bids; 1 000 items = 10 MB) created first (untimed), then `updates` updates, each replacing one
 * random item's `last_bid`: a small change that every method has to find inside the whole record.
 */
export function bigRecord(items: number, updates: number, seed: number): Workload {
  const rng = new Prng(seed)
  const lotsByKey: JsonObject = {}
  for (const it of syncRecords('many', seed).slice(0, items)) lotsByKey[String(it['key'])] = it
  let current: BenchRecord = { key: 'catalogue', lots: lotsByKey }
  const initial = [current]
  const out: BenchRecord[] = []
  const patches: Array<{ key: string; patch: JsonObject }> = []
  for (let u = 0; u < updates; u++) {
    const lots = current['lots'] as JsonObject
    const k = `item-${rng.int(0, items - 1)}`
    const it = lots[k] as JsonObject
    const price = ((it['last_bid'] as JsonObject)['price'] as number) + rng.int(1, 25)
    const lastBid = { user: rng.pick(USERS), price, time: 1_800_000_000_000 + u }
    current = { ...current, lots: { ...lots, [k]: { ...it, last_bid: lastBid } } }
    out.push(current)
    patches.push({ key: 'catalogue', patch: { lots: { [k]: { last_bid: lastBid } } } })
  }
  return {
    name: 'big-record',
    description: `one ${items / 100} MB record (${items} items of 10 KB, nested bids) created first (untimed), then ${updates} updates each replacing one item's last_bid`,
    initial,
    updates: out,
    patches,
  }
}
