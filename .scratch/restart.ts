import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerProcess } from '../test/helpers/peer-process.js'
import { startSignalingProcess } from '../test/helpers/signaling-process.js'

const server = await startSignalingProcess({})
const dir = mkdtempSync(join(tmpdir(), 'ds-restart-'))
const room = `r-${Date.now()}`
const mk = () => new PeerProcess({ room, signaling: `ws://127.0.0.1:${server.port}`, password: 'x', name: 'P2', store: dir })
let p = mk()
let id = 0
await new Promise((r) => setTimeout(r, 3000)); console.log(JSON.stringify(p.events))
const edit = async (key: string, field?: string, value?: string) => {
  const my = id++
  const e = p.waitFor((ev) => ev.event === 'edited' && ev.id === my, 20000)
  p.send({ op: 'edit', id: my, key, ...(field ? { field, value } : {}) })
  await e
}

await edit('c1', 'b', 'v1')
await edit('c3', 'b', 'v2')
p.send({ op: 'compact' })
await new Promise((r) => setTimeout(r, 300))
await edit('c3', 'b', 'v5')
await edit('c0', 'c', 'v6')
await edit('c0', 'a', 'v7')
const durable = p.waitFor((e) => e.event === 'stored' && e.key === '*')
p.send({ op: 'whenStored' })
await durable
console.log('before kill', JSON.stringify((await p.dump()).records))
await p.kill('SIGKILL')
p = mk()
await new Promise((r) => setTimeout(r, 1500))
console.log('after restart', JSON.stringify((await p.dump()).records))
await p.kill('SIGKILL')
await server.close?.()
process.exit(0)
