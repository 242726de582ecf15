// Arrays change minimally: only the middle between the common prefix and suffix is rewritten.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DiffCache } from '@diffstream/core'

function setup<I>(items: I[]) {
  const producer = DiffCache.producer<{ key: string; items: I[] }>()
  const consumer = DiffCache.consumer<{ key: string; items: I[] }>()
  const data = { key: 'list', items }
  consumer.update(producer.update(data))
  return { producer, consumer, data }
}

test('inserting one element into a 10 000-element array is a small message', () => {
  const { producer, consumer, data } = setup(Array.from({ length: 10_000 }, (_, i) => i))
  const full = JSON.stringify(data).length
  data.items.splice(5_000, 0, -1)
  const bytes = producer.update(data).encode()
  // The first edit of an array also records the writer's version of it (docs/compaction.md, "Stamps").
  assert.ok(bytes.length < 80, `${bytes.length} bytes for one insert (full JSON ${full})`)
  consumer.update(bytes)
  data.items.splice(2_000, 0, -2)
  const again = producer.update(data).encode()
  assert.ok(again.length < 56, `${again.length} bytes for the next insert (full JSON ${full})`)
  consumer.update(again)
  assert.deepEqual(consumer.get('list'), data)
})

test('removing, replacing and appending single elements stay small', () => {
  const { producer, consumer, data } = setup(Array.from({ length: 10_000 }, (_, i) => `item ${i}`))
  const edits: Array<() => void> = [
    () => data.items.splice(1234, 1),
    () => (data.items[4321] = 'replaced'),
    () => data.items.push('appended'),
    () => data.items.unshift('prepended'),
  ]
  for (const edit of edits) {
    edit()
    const bytes = producer.update(data).encode()
    assert.ok(bytes.length < 80, `${bytes.length} bytes`)
    consumer.update(bytes)
    assert.deepEqual(consumer.get('list'), data)
  }
})

test('a field changed inside an object in an array is one set', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `row ${i}`, score: i }))
  const { producer, consumer, data } = setup(rows)
  rows[500]!.score = -5
  const bytes = producer.update(data).encode()
  // with the writer's first version of the array (docs/compaction.md, "Stamps")
  assert.ok(bytes.length < 80, `${bytes.length} bytes`)
  consumer.update(bytes)
  assert.deepEqual(consumer.get('list'), data)
})
