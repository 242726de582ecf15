import type { JsonValue } from '@diffstream/core'
import type { BenchRecord } from '../contender.js'
import { Prng } from './prng.js'
import type { Workload } from './workload.js'

const CATEGORIES = ['tools', 'garden', 'kitchen', 'toys', 'books', 'audio', 'office', 'sports'] as const
const COLORS = ['black', 'white', 'red', 'green', 'blue', 'steel', 'oak'] as const
const WAREHOUSES = ['AMS-1', 'FRA-2', 'LON-1', 'PAR-3', 'WAW-1'] as const
const WORDS = ['new', 'sale', 'eco', 'bulk', 'gift', 'import', 'premium', 'basic', 'limited', 'refurb'] as const

interface Item extends BenchRecord {
  key: string
  name: string
  category: string
  price: number
  currency: string
  stock: number
  warehouse: string
  updated: number
  attrs: { [field: string]: JsonValue; color: string; size: number; weight: number }
  tags: string[]
}

function item(i: number, rng: Prng): Item {
  return {
    key: `sku-${String(i).padStart(6, '0')}`,
    name: `${rng.pick(WORDS)} ${rng.pick(CATEGORIES)} item ${rng.hex(6)}`,
    category: rng.pick(CATEGORIES),
    price: rng.int(100, 99_999) / 100,
    currency: 'EUR',
    stock: rng.int(0, 500),
    warehouse: rng.pick(WAREHOUSES),
    updated: 1_700_000_000_000 + rng.int(0, 1e9),
    attrs: { color: rng.pick(COLORS), size: rng.int(1, 60), weight: rng.int(10, 50_000) },
    tags: Array.from({ length: rng.int(1, 4) }, () => rng.pick(WORDS)),
  }
}

/**
 * A large cache: `records` product records (~300 B of JSON each) created first (untimed), then
 * `ticks` ticks; each tick changes `share` of the records, picked at random: the stock always,
 * plus the price or the warehouse now and then, and the `updated` time.
 */
export function largeCache(records: number, ticks: number, share: number, seed: number): Workload {
  const rng = new Prng(seed)
  const current = Array.from({ length: records }, (_, i) => item(i, rng))
  const initial = current.slice()
  const perTick = Math.max(1, Math.round(records * share))
  const updates: BenchRecord[] = []
  let clock = 1_701_000_000_000
  for (let t = 0; t < ticks; t++) {
    clock += 1000
    const picked = new Set<number>()
    while (picked.size < perTick) picked.add(rng.int(0, records - 1))
    for (const at of picked) {
      const old = current[at]!
      const next: Item = { ...old, stock: Math.max(0, old.stock + rng.int(-5, 5)), updated: clock + rng.int(0, 999) }
      if (rng.next() < 0.3) next.price = Math.round(old.price * (0.9 + 0.2 * rng.next()) * 100) / 100
      if (rng.next() < 0.1) next.warehouse = rng.pick(WAREHOUSES)
      current[at] = next
      updates.push(next)
    }
  }
  return {
    name: 'large-cache',
    description:
      `${records} product records (~300 B) created first (untimed), then ${ticks} ticks each changing ${perTick} ` +
      `(${100 * share}%) of them: stock and time, sometimes price or warehouse`,
    initial,
    updates,
  }
}
