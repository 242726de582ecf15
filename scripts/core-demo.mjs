#!/usr/bin/env node
// `npm run demo:core`: a live demo of the core API in the console — an auction stream like
// the original DiffStream's generator, sent producer → bytes → consumer, with what each message
// cost next to what full JSON would have cost. Stops after --seconds N (default 5) or Ctrl-C.
import { DiffCache } from '@diffstream/core'

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 5
const producer = DiffCache.producer()
const consumer = DiffCache.consumer()

let seed = 1
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
const users = ['ann', 'bob', 'cy', 'dee', 'eve']
const auctions = Array.from({ length: 100 }, (_, i) => ({
  key: i,
  title: `Lot ${i}: a fine old thing`,
  description: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(3),
  last_bid: { user: users[i % users.length], price: 10, time: Date.now() },
}))
for (const a of auctions) consumer.update(producer.update(a).encode())

let window = { messages: 0, bytes: 0, json: 0 }
const started = Date.now()
const timer = setInterval(() => {
  const saving = window.json ? (100 * (1 - window.bytes / window.json)).toFixed(1) : '0'
  console.log(
    `${String(Math.round((Date.now() - started) / 1000)).padStart(3)}s  ${window.messages} msgs  ` +
      `${window.bytes} diff bytes  ${window.json} JSON bytes  saving ${saving}%`,
  )
  window = { messages: 0, bytes: 0, json: 0 }
}, 1000)

function tick() {
  for (let i = 0; i < 200; i++) {
    const a = auctions[Math.floor(rand() * auctions.length)]
    a.last_bid = {
      user: users[Math.floor(rand() * users.length)],
      price: a.last_bid.price + 1 + Math.floor(rand() * 20),
      time: Date.now(),
    }
    const bytes = producer.update(a).encode()
    const [, key, data] = consumer.update(bytes)
    if (data.last_bid.price !== a.last_bid.price) throw new Error(`consumer diverged on ${key}`)
    window.messages++
    window.bytes += bytes.length
    window.json += Buffer.byteLength(JSON.stringify(a))
  }
  if (Date.now() - started < seconds * 1000) setTimeout(tick, 10)
  else {
    clearInterval(timer)
    const s = producer.stats
    console.log(
      `\nin all: ${s.messages} messages, ${s.bytes} bytes as diffs, ${s.jsonBytes} as full JSON — saving ${(100 * s.saving).toFixed(1)}%`,
    )
  }
}
console.log('DiffStream demo: 100 auctions, a bid every tick, producer → bytes → consumer\n')
tick()
