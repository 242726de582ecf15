// A DiffStream producer in its own process that fills a room with many records, then stays in it
// until SIGTERM: the large room a newcomer joins in the app's responsiveness test.
//   args: --room NAME --signaling URL [--password P] --records N
//   stdout: {"event":"filled","records":N,"ms":T}, then {"event":"peers","peers":[...]} as peers come
import { joinRoom } from '@diffstream/core'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const out = (msg: Record<string, unknown>): boolean => process.stdout.write(JSON.stringify(msg) + '\n')

const count = Number(arg('records') ?? '50000')
const room = joinRoom<Record<string, unknown>>(arg('room')!, {
  signaling: [arg('signaling')!],
  password: arg('password'),
  role: 'producer',
  name: 'filler',
})
room.on('peers', (peers) => out({ event: 'peers', peers }))
room.on('warning', (message) => out({ event: 'warning', message }))
const t0 = performance.now()
const tags = ['red', 'blue', 'sale', 'new', 'eco']
for (let i = 0; i < count; i++) {
  room.cache.update({
    key: `rec-${i}`,
    title: `Record number ${i}`,
    price: (i * 37) % 1000,
    stock: i % 17,
    seller: { name: `seller-${i % 97}`, rating: i % 5 },
    tags: [tags[i % 5]!, tags[(i * 7) % 5]!],
  })
}
out({ event: 'filled', records: room.cache.size, ms: Math.round(performance.now() - t0) })
process.on('SIGTERM', () => void room.close().then(() => process.exit(0)))
