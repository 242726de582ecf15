#!/usr/bin/env node
// One peer of `npm run demo`: a producer streaming auction bids like the original DiffStream's
// generator, or a consumer. Reports its stats once a second as a JSON line on stdout.
import { joinRoom } from '@diffstream/core'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const role = arg('role', 'consumer')
const rate = Number(arg('rate', '1000'))
const room = joinRoom('diffstream-demo', {
  signaling: [arg('signaling')],
  role,
  name: arg('name', role),
  // every demo peer runs on this machine
  candidateFilter: (c) => / (127\.0\.0\.1|::1) /.test(c),
})

let seed = 7
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
const users = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay']
const auctions = Array.from({ length: 100 }, (_, i) => ({
  key: i,
  title: `Lot ${i}: a fine old thing`,
  description: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. '.repeat(2),
  last_bid: { user: users[i % users.length], price: 10, time: Date.now() },
}))

if (role === 'producer') {
  for (const a of auctions) room.cache.update(a)
  // 10 ticks a second, rate/10 bids each
  setInterval(() => {
    if (room.peers.length === 0) return
    for (let n = 0; n < rate / 10; n++) {
      const a = auctions[Math.floor(rand() * auctions.length)]
      a.last_bid = { user: users[Math.floor(rand() * users.length)], price: a.last_bid.price + 1 + Math.floor(rand() * 9), time: Date.now() }
      room.cache.update(a)
    }
  }, 100)
}

let changes = 0
room.on('change', () => changes++)
setInterval(() => {
  const s = room.stats
  process.stdout.write(JSON.stringify({ role, name: arg('name', role), peers: room.peers.length, records: room.cache.size, changes, ...s }) + '\n')
}, 1000)
process.on('SIGTERM', () => void room.close().then(() => process.exit(0)))
