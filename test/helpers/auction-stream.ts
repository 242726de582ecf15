// An endless auction: `records` lots, each update changes three fields of one lot (price, bidder,
// bid count), as the original DiffStream's demo stream did. Seeded, so runs repeat exactly.
import type { JsonObject } from '@diffstream/core'

export function auctionStream(records: number, seed = 1): () => JsonObject {
  let s = seed >>> 0 || 1
  const rand = (): number => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 0x100000000
  }
  const bidders = ['Alice', 'Bob', 'Charles', 'Dana', 'Eric', 'Felix', 'Gina', 'Helen']
  const lots: JsonObject[] = Array.from({ length: records }, (_, i) => ({
    key: `lot-${i}`,
    title: `Lot ${i}: an antique bobble wheel`,
    seller: bidders[i % bidders.length]!,
    price: 10,
    bidder: null,
    bids: 0,
    closes: '2026-12-24T12:00:00Z',
  }))
  let first = 0
  return () => {
    // every lot is sent once as it is, then bids change three fields of a random lot
    if (first < lots.length) return { ...lots[first++]! }
    const lot = lots[Math.floor(rand() * lots.length)]!
    lot.price = (lot.price as number) + 1 + Math.floor(rand() * 20)
    lot.bidder = bidders[Math.floor(rand() * bidders.length)]!
    lot.bids = (lot.bids as number) + 1
    return { ...lot }
  }
}
