// Membership decisions on their own, in virtual time: stale links replaced by an announce, offers
// that cross, bounded degree, and connection attempts that back off.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventQueue, PeerClock } from '../helpers/sim/clock.js'
import { CONNECT_TIMEOUT_MS, Membership } from '../../core/src/net/membership.js'
import type { AnnounceFields } from '../../core/src/net/membership-types.js'
import { componentOf, linkKey, redundantLinks } from '../../core/src/net/room-view.js'

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

/** `m` full at maxConns 2, linked to x and y; `others` are the links x and y announce. */
function fullPeer(xLinks: Record<string, number>, yLinks: Record<string, number>) {
  const t = make('m', 2)
  for (const [i, id] of ['x', 'y'].entries()) {
    const v = t.m.offered(id, { ds: true, lid: i + 1 })
    if (v.action === 'new') t.m.opened(id, v.lid)
  }
  t.m.announced({ from: 'x', ds: 1, lid: 5, links: xLinks, deg: Object.keys(xLinks).length, news: 1 })
  t.m.announced({ from: 'y', ds: 1, lid: 5, links: yLinks, deg: Object.keys(yLinks).length, news: 1 })
  // z and w: an island of two, elsewhere
  t.m.announced({ from: 'w', ds: 1, lid: 3, links: { z: 1 }, deg: 1, news: 1 })
  t.m.announced({ from: 'z', ds: 1, lid: 3, links: { w: 1 }, deg: 1, news: 1 })
  return t
}

test('a full peer asked with room by a peer of another component gives up a redundant link and offers', () => {
  // m, x and y form a triangle: either of m's links can go without splitting it.
  const { m, calls, dials } = fullPeer({ m: 1, y: 2 }, { m: 2, x: 2 })
  m.announced({ from: 'z', to: 'm', ds: 1, lid: 4, links: { w: 1 }, deg: 1, want: 1, room: 1 })
  assert.equal(calls.length, 1)
  assert.match(calls[0]!, /^hangUp [xy] \d+: making room to merge an island/)
  assert.equal(dials.at(-1)?.id, 'z')
})

test('a full peer asked with room keeps its links when each is needed, or when the asker is in its component', () => {
  // A path x - m - y: both of m's links are bridges.
  const path = fullPeer({ m: 1 }, { m: 2 })
  path.m.announced({ from: 'z', to: 'm', ds: 1, lid: 4, links: { w: 1 }, deg: 1, want: 1, room: 1 })
  assert.deepEqual(path.calls, [])
  assert.equal(path.announces.at(-1)?.fields.full, 1)
  // A triangle, but the asker is linked to x: same component, a plain want.
  const same = fullPeer({ m: 1, y: 2, z: 3 }, { m: 2, x: 2 })
  same.m.announced({ from: 'z', to: 'm', ds: 1, lid: 4, links: { x: 1 }, deg: 1, want: 1, room: 1 })
  assert.deepEqual(same.calls, [])
  assert.equal(same.announces.at(-1)?.fields.full, 1)
})

test('a news announce (links changed) gets no answer, unlike a broadcast announce', () => {
  const { m, announces, queue } = make('m', 1)
  const v = m.offered('x', { ds: true, lid: 1 })
  if (v.action === 'new') m.opened('x', v.lid)
  queue.runUntil(5_000)
  const before = announces.length
  m.announced({ from: 'y', ds: 1, lid: 2, links: { q: 1 }, deg: 1, news: 1 })
  assert.equal(announces.length, before) // a plain broadcast announce would be answered
  m.announced({ from: 'v', ds: 1, lid: 2, links: {}, deg: 0 })
  assert.equal(announces.length, before + 1)
})

test('the view: links count when both ends list them; links on a cycle are redundant, bridges are not', () => {
  // a-b-c a triangle, c-d a bridge, d-e listed by d only (e dropped it), f-g a pair
  const edges = { a: 'bc', b: 'ac', c: 'abd', d: 'ce', e: '', f: 'g', g: 'f' }
  const listed = new Map(Object.entries(edges).map(([id, ns]) => [id, new Set(ns.split(''))]))
  assert.deepEqual([...componentOf(listed, 'a')].sort(), ['a', 'b', 'c', 'd'])
  assert.deepEqual([...componentOf(listed, 'e')], ['e'])
  const spare = redundantLinks(listed)
  assert.deepEqual([...spare].sort(), ['ab', 'ac', 'ba', 'bc', 'ca', 'cb'].map(([x, y]) => linkKey(x!, y!)))
})
