// An initial sync in pieces (core/src/update-split.ts): every piece applies on its own, in order,
// and together they make exactly the document the whole update makes — with several writers,
// deletes, a receiver that already holds part of the state, and pieces smaller than one struct.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { splitUpdate } from '../../core/src/update-split.js'
import { dependenciesMet, inspectUpdate } from '../../core/src/update-inspect.js'
import { toMirror } from '../../core/src/reconcile.js'
import { mulberry32 } from '../helpers/prng.js'
import { sortDeep } from '../helpers/sort-deep.js'

function deleteSet(doc: Y.Doc): string {
  const ds = Y.createDeleteSetFromStructStore(doc.store)
  return JSON.stringify(
    [...ds.clients].sort(([a], [b]) => a - b).map(([c, items]) => [c, items.map((i) => [i.clock, i.len])]),
  )
}

test('pieces of a diff apply one by one, each with its dependencies met, into the same document', () => {
  const rand = mulberry32(15)
  let pieces = 0
  for (let trial = 0; trial < 25; trial++) {
    const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()]
    for (let i = 0; i < 300; i++) {
      const d = docs[Math.floor(rand() * 3)]!
      const m = d.getMap<unknown>('r')
      d.transact(() => {
        const k = `k${Math.floor(rand() * 40)}`
        const r = rand()
        if (r < 0.4) m.set(k, toMirror({ a: i, text: 'x'.repeat(Math.floor(rand() * 200)), list: [1, { x: i }] }))
        else if (r < 0.5) m.delete(k)
        else {
          const v = m.get(k)
          if (v instanceof Y.Map) {
            v.set('f', i)
            const list = v.get('list')
            if (list instanceof Y.Array) {
              list.insert(Math.floor(rand() * (list.length + 1)), [i])
              if (list.length > 3) list.delete(0, 1)
            }
          }
        }
      })
      // writers meet now and then, so their structs refer to each other
      if (rand() < 0.1) {
        const a = docs[Math.floor(rand() * 3)]!
        const b = docs[Math.floor(rand() * 3)]!
        Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
      }
    }
    const sender = docs[0]!
    for (const d of docs) Y.applyUpdate(sender, Y.encodeStateAsUpdate(d))
    const receiver = new Y.Doc()
    if (trial % 2 === 1) Y.applyUpdate(receiver, Y.encodeStateAsUpdate(docs[1]!))
    const sv = Y.encodeStateVector(receiver)
    const diff = Y.encodeStateAsUpdate(sender, sv)
    const parts = splitUpdate(diff, 40 + Math.floor(rand() * 800), Y.decodeStateVector(sv))
    pieces += parts.length
    for (const [i, part] of parts.entries()) {
      assert.ok(
        dependenciesMet(inspectUpdate(part), (c) => Y.getState(receiver.store, c)),
        `trial ${trial}: piece ${i} of ${parts.length} needs a later one`,
      )
      Y.applyUpdate(receiver, part)
    }
    assert.equal(receiver.store.pendingStructs, null, `trial ${trial}: structs left pending`)
    assert.deepEqual(sortDeep(receiver.getMap('r').toJSON()), sortDeep(sender.getMap('r').toJSON()))
    assert.deepEqual(Y.encodeStateVector(receiver), Y.encodeStateVector(sender))
    assert.equal(deleteSet(receiver), deleteSet(sender))
  }
  assert.ok(pieces > 25 * 5, `${pieces} pieces: the trials must really split`)
})

test('an update that fits is not split; a split keeps the pieces near the size asked', () => {
  const doc = new Y.Doc()
  doc.transact(() => {
    for (let i = 0; i < 2000; i++) doc.getMap('r').set(`k${i}`, toMirror({ i, name: `record ${i}` }))
  })
  const update = Y.encodeStateAsUpdate(doc)
  assert.deepEqual(splitUpdate(update, update.length, new Map()), [update])
  const parts = splitUpdate(update, 4096, new Map())
  assert.ok(parts.length >= update.length / 4096, `${parts.length} pieces`)
  for (const p of parts) assert.ok(p.length < 4096 + 512, `a piece of ${p.length} bytes`)
  // a slow start: 256, 512, 1024 … bytes, then 4096
  const growing = splitUpdate(update, 4096, new Map(), 256)
  assert.ok(growing[0]!.length < 256 + 256 && growing[1]!.length < 512 + 256, 'the first pieces are small')
  assert.ok(growing[1]!.length > growing[0]!.length && growing[2]!.length > growing[1]!.length, 'and grow')
  const receiver = new Y.Doc()
  for (const p of growing) Y.applyUpdate(receiver, p)
  assert.equal(receiver.getMap('r').size, 2000)
})
