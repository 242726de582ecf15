// The original DiffStream README's example, step by step with its data.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DataMsg, DiffCache } from '@diffstream/core'

test('the original README example: consumer equals producer, second message at most 40 bytes', () => {
  type Data = { key: number; a: string; b: number; c: Record<string, boolean | string>; d: number[] }
  const producer = DiffCache.producer<Data>()
  const consumer = DiffCache.consumer<Data>()
  const data: Data = {
    key: 314159,
    a: 'Some really, really important text',
    b: 42,
    c: { c1: true, c2: false },
    d: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  }

  const msg1 = producer.update(data)
  assert.equal(msg1.cmd, 'new')
  const [cmd1, key1, data1] = consumer.update(msg1)
  assert.equal(cmd1, 'new')
  assert.equal(key1, 314159)
  assert.deepEqual(data1, data)

  data.c.c3 = 'Maybe'
  const msg2 = producer.update(data)
  assert.equal(msg2.cmd, 'upd')
  const bytes = msg2.encode()
  const [cmd2, key2, data2] = consumer.update(DataMsg.decode(bytes))
  assert.equal(cmd2, 'upd')
  assert.equal(key2, 314159)
  assert.deepEqual(data2, data)
  assert.deepEqual(consumer.get(314159), producer.get(314159))

  // The original sent 115 bytes for this change; full JSON is 128 bytes without Python's spaces.
  assert.ok(bytes.length <= 40, `second message is ${bytes.length} bytes`)
  assert.equal(msg2.byteLength, bytes.length)
  assert.ok(bytes.length < new TextEncoder().encode(JSON.stringify(data)).length / 3)
})
