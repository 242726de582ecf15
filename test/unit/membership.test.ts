// Membership decisions on their own, in virtual time: stale links replaced by an announce, offers
// that cross, bounded degree, and connection attempts that back off.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventQueue, PeerClock } from '../helpers/sim/clock.js'
import { CONNECT_TIMEOUT_MS, Membership } from '../../core/src/net/membership.js'
import type { AnnounceFields } from '../../core/src/net/membership-types.js'

/** A membership whose transport records what it was asked to do. */
function make(peerId: string, maxConns = 10) {
  const queue = new EventQueue()
  const calls: string[] = []
  const dials: Array<{ id: string; lid: number; at: number }> = []
  const announces: Array<{ fields: AnnounceFields; to?: string }> = []
  const m = new Membership(
    { peerId, maxConns, clock: new PeerClock(queue), random: () => 0.5 },
    {
      announce: (fields, to) => announces.push({ fields, to }),
      dial: (id, lid) => dials.push({ id, lid, at: queue.now }),
      hangUp: (id, lid, reason) => calls.push(`hangUp ${id} ${lid}: ${reason}`),
    },
  )
  m.start()
  return { m, queue, calls, dials, announces }
}

test('an announce from a peer that no longer lists our link replaces the stale link at once', () => {
  const { m, calls, dials } = make('a')
  m.announced({ from: 'b', ds: 1, lid: 1, links: {} })
  assert.equal(dials.length, 1) // 'a' < 'b': a offers
  const lid = dials[0]!.lid
  assert.ok(m.signalFits('b', 7)) // b's answer: its link id 7
  m.opened('b', lid)
  // b announces again, listing the link: nothing to do
  m.announced({ from: 'b', ds: 1, lid: 8, links: { a: 7 } })
  assert.deepEqual(calls, [])
  // b lost it (it went offline and came back: a larger lid, no link to us): replaced, and a new offer
  m.announced({ from: 'b', ds: 1, lid: 9, links: {} })
  assert.deepEqual(calls, [`hangUp b ${lid}: the peer announced without this link: replaced`])
  assert.equal(dials.length, 2)
})

test('an announce older than our link (it crossed our offer) does not replace it', () => {
  const { m, calls } = make('a')
  m.announced({ from: 'b', ds: 1, lid: 5, links: {} })
  m.signalFits('b', 5) // b's link id 5: created from b's counter after that announce
  m.opened('b', m.linkId('b')!)
  m.announced({ from: 'b', ds: 1, lid: 5, links: {} }) // the same announce, again (a second server)
  assert.deepEqual(calls, [])
})

test('answers to an attempt we gave up are ignored', () => {
  const { m, queue } = make('a')
  m.announced({ from: 'b', ds: 1, lid: 1, links: {} })
  const first = m.linkId('b')!
  queue.runUntil(CONNECT_TIMEOUT_MS + 1) // never connected: dropped
  queue.runUntil(CONNECT_TIMEOUT_MS + 3000) // retried after the backoff
  const second = m.linkId('b')!
  assert.notEqual(first, second)
  assert.equal(m.signalFits('b', 4, first), false) // b answering our first attempt
  assert.equal(m.signalFits('b', 5, second), true)
})

test('a peer asked to offer while waiting for our offer starts over, offering', () => {
  const { m, calls, dials } = make('b')
  // 'a' < 'b': a offers; b accepted a's offer (pending), then a asks b to offer instead
  const verdict = m.offered('a', { ds: true, lid: 3 })
  assert.equal(verdict.action, 'new')
  m.announced({ from: 'a', to: 'b', ds: 1, lid: 4, links: {}, want: 1 })
  assert.equal(calls.length, 1)
  assert.equal(dials.at(-1)?.id, 'a')
})

test('offers beyond maxConns are refused with full; a lonely peer is let in by closing a link', () => {
  const { m, calls, announces } = make('m', 2)
  for (const [i, id] of ['x', 'y'].entries()) {
    const v = m.offered(id, { ds: true, lid: i + 1 })
    assert.equal(v.action, 'new')
    if (v.action === 'new') m.opened(id, v.lid)
  }
  assert.equal(m.offered('z', { ds: true, lid: 1 }).action, 'refuse')
  assert.deepEqual(announces.at(-1), { fields: { ...m.fields(), full: 1 }, to: 'z' })
  m.announced({ from: 'z', to: 'm', ds: 1, lid: 2, links: {}, want: 1, lonely: 1 })
  assert.equal(calls.length, 1)
  assert.match(calls[0]!, /making room for a peer with too few links/)
})

test('a peer that never connects is retried with growing delays, and forgotten after five failures', () => {
  const { m, queue, dials } = make('a')
  m.announced({ from: 'b', ds: 1, lid: 1, links: {} })
  queue.runUntil(10 * 60_000)
  const gaps = dials.slice(1).map((d, i) => d.at - dials[i]!.at - CONNECT_TIMEOUT_MS)
  assert.equal(dials.length, 5, `${dials.length} attempts`)
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i]! > gaps[i - 1]!, `backoff ${gaps.join(', ')}`)
  // a newer announce (it is back) makes it a candidate again, at once
  m.announced({ from: 'b', ds: 1, lid: 2, links: {} })
  assert.equal(dials.length, 6)
})
