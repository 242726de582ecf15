#!/usr/bin/env node
// `npm run demo`: the original DiffStream experiment, live. An embedded signaling server, one
// producer streaming auction bids and two consumers, each in its own process over real WebRTC.
// Prints once a second what went over the wire as diffs and what full JSON would have cost.
// Runs until Ctrl-C, or for --seconds N.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startSignalingServer } from '@diffstream/signaling'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : fallback
}
const seconds = Number(arg('seconds', '0'))
const rate = arg('rate', '1000')
const server = await startSignalingServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
console.log(`DiffStream demo — signaling on ${server.url}; producer streams ${rate} bids/s to two consumers over WebRTC\n`)

const script = fileURLToPath(new URL('./demo-peer.mjs', import.meta.url))
const latest = new Map()
const children = ['producer', 'consumer-1', 'consumer-2'].map((name) => {
  const role = name === 'producer' ? 'producer' : 'consumer'
  const child = spawn(process.execPath, [script, '--role', role, '--name', name, '--signaling', server.url, '--rate', rate], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      latest.set(name, JSON.parse(line))
    } catch {
      // not a stats line
    }
  })
  return child
})

let last = { writes: 0, updateBytes: 0, jsonBytes: 0, bytesSent: 0 }
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
const started = Date.now()
const timer = setInterval(() => {
  const p = latest.get('producer')
  if (!p) return
  const d = { writes: p.writes - last.writes, updateBytes: p.updateBytes - last.updateBytes, jsonBytes: p.jsonBytes - last.jsonBytes, bytesSent: p.bytesSent - last.bytesSent }
  last = p
  const saving = d.jsonBytes ? (100 * (1 - d.updateBytes / d.jsonBytes)).toFixed(1) : '0.0'
  const consumers = ['consumer-1', 'consumer-2']
    .map((n) => latest.get(n))
    .filter(Boolean)
    .map((c) => `${c.name}: ${c.changes} changes, ${c.records} records`)
    .join(' | ')
  console.log(
    `${String(Math.round((Date.now() - started) / 1000)).padStart(3)}s  ${d.writes} updates  diffs ${kb(d.updateBytes)} vs full JSON ${kb(d.jsonBytes)}  ` +
      `saving ${saving}%  (wire to ${p.peers} peers: ${kb(d.bytesSent)})  ${consumers}`,
  )
}, 1000)

async function stop() {
  clearInterval(timer)
  for (const c of children) c.kill('SIGTERM')
  await server.close()
  const p = latest.get('producer')
  if (p) console.log(`\nin all: ${p.writes} updates, ${kb(p.updateBytes)} as diffs, ${kb(p.jsonBytes)} as full JSON — saving ${(100 * (1 - p.updateBytes / p.jsonBytes)).toFixed(1)}%`)
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
if (seconds > 0) setTimeout(stop, seconds * 1000)
