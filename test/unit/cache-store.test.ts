// DiffCache with { store }: a restarted producer finds its records and goes on, a consumer's
// received messages survive too, and under the endless auction stream the store stays bounded.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DiffCache, type JsonObject } from '@diffstream/core'
import { openFileStore } from '@diffstream/core/node'
import { auctionStream } from '../helpers/auction-stream.js'

const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'diffstream-cache-store-'))
  dirs.push(d)
  return d
}

function contents(c: DiffCache): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of c.keys().sort()) out[String(k)] = c.get(k)
  return out
}

test('a producer and a consumer with file stores come back after a restart and go on', async () => {
  const pDir = dir()
  const cDir = dir()
  let producer = DiffCache.producer<JsonObject>({ store: await openFileStore(pDir) })
  let consumer = DiffCache.consumer<JsonObject>({ store: await openFileStore(cDir) })
  await Promise.all([producer.whenLoaded(), consumer.whenLoaded()])
  const next = auctionStream(5, 11)
  for (let i = 0; i < 2000; i++) consumer.update(producer.update(next()).encode())
  assert.ok(producer.compactions > 0, 'the stream compacted at least once')
  await Promise.all([producer.whenStored(), consumer.whenStored()])
  const before = contents(producer)
  await Promise.all([producer.close(), consumer.close()])

  producer = DiffCache.producer<JsonObject>({ store: await openFileStore(pDir) })
  consumer = DiffCache.consumer<JsonObject>({ store: await openFileStore(cDir) })
  await Promise.all([producer.whenLoaded(), consumer.whenLoaded()])
  assert.deepEqual(contents(producer), before)
  assert.deepEqual(contents(consumer), before)
  assert.equal(consumer.epoch, producer.epoch)
  // the stream goes on as diffs from where it was
  for (let i = 0; i < 200; i++) consumer.update(producer.update(next()).encode())
  assert.deepEqual(contents(consumer), contents(producer))
  await Promise.all([producer.close(), consumer.close()])
})

test('under the endless auction stream the store stays bounded', { timeout: 120_000 }, async () => {
  const store = await openFileStore(dir())
  const producer = DiffCache.producer<JsonObject>({ store })
  await producer.whenLoaded()
  const next = auctionStream(10, 12)
  const sizes: number[] = []
  for (let i = 1; i <= 40_000; i++) {
    producer.update(next())
    if (i % 2000 === 0) {
      await producer.whenStored()
      sizes.push(store.size)
    }
  }
  const max = Math.max(...sizes)
  // the log is compacted into a snapshot at 1 MiB (or 4x the snapshot) and on every epoch change
  assert.ok(max < 2 * 1024 * 1024, `store reached ${max} bytes`)
  assert.ok(sizes[sizes.length - 1]! < 2 * 1024 * 1024)
  await producer.close()
})
