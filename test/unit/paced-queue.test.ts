// Rooms run incoming frames through a PacedQueue (core/src/net/paced-queue.ts): in order, at once
// when the loop is free, but a burst longer than the budget continues in a later task.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PacedQueue } from '../../core/src/net/paced-queue.js'

const busy = (ms: number): void => {
  const end = performance.now() + ms
  while (performance.now() < end);
}

test('a job arriving while the loop is free runs at once', () => {
  const q = new PacedQueue(10)
  const ran: number[] = []
  q.push(() => ran.push(1))
  assert.deepEqual(ran, [1])
})

test('a burst longer than the budget yields to the event loop, keeps the order and loses nothing', async () => {
  const q = new PacedQueue(10)
  const ran: number[] = []
  for (let i = 0; i < 20; i++) q.push(() => (busy(3), ran.push(i)))
  const first = ran.length
  assert.ok(first >= 1 && first < 20, `${first} of 20 jobs ran in the first task`)
  let timerRan = false
  setTimeout(() => (timerRan = true), 0)
  await new Promise((r) => setTimeout(r, 200))
  assert.deepEqual(
    ran,
    Array.from({ length: 20 }, (_, i) => i),
  )
  assert.ok(timerRan)
})

test('a job that throws is reported and the rest still run; close drops what waits', async () => {
  const errors: unknown[] = []
  const q = new PacedQueue(1, (e) => errors.push(e))
  const ran: number[] = []
  q.push(() => {
    busy(2)
    throw new Error('bad frame')
  })
  q.push(() => ran.push(1))
  await new Promise((r) => setTimeout(r, 20))
  assert.equal(errors.length, 1)
  assert.deepEqual(ran, [1])
  for (let i = 0; i < 5; i++) q.push(() => (busy(2), ran.push(i)))
  q.close()
  q.push(() => ran.push(99))
  await new Promise((r) => setTimeout(r, 20))
  assert.ok(!ran.includes(99))
  assert.ok(ran.length < 6, 'jobs waiting at close are dropped')
})
