// The renderer's pure logic: the record editor's operations, import/export files, recent rooms.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { JsonObject } from '@diffstream/core'
import {
  addChild,
  changedPaths,
  convert,
  encodePath,
  parseRecordJson,
  parseTyped,
  removeAt,
  renameAt,
  setAt,
  TreeError,
} from '../../app/src/renderer/json-tree.js'
import { exportFileName, exportJson, ImportError, parseImport } from '../../app/src/renderer/records-io.js'
import type { RoomAccess } from '../../app/src/renderer/access.js'
import { forgetRoom, loadRecent, loadSession, rememberRoom, saveSession } from '../../app/src/renderer/recent.js'

const record: JsonObject = { key: 'lot-1', title: 'Chair', price: 10, tags: ['a', 'b'], dims: { w: 1, h: 2 } }

describe('editor operations', () => {
  test('edit nested values without touching the original', () => {
    const copy = structuredClone(record)
    assert.deepEqual(setAt(record, ['dims', 'h'], 3), { ...record, dims: { w: 1, h: 3 } })
    assert.deepEqual(setAt(record, ['tags', 1], 'z'), { ...record, tags: ['a', 'z'] })
    assert.deepEqual(removeAt(record, ['tags', 0]), { ...record, tags: ['b'] })
    assert.deepEqual(removeAt(record, ['dims']), { key: 'lot-1', title: 'Chair', price: 10, tags: ['a', 'b'] })
    assert.deepEqual(record, copy)
  })

  test('rename keeps the field in its place and refuses clashes', () => {
    assert.deepEqual(Object.keys(renameAt(record, ['title'], 'name')), ['key', 'name', 'price', 'tags', 'dims'])
    assert.deepEqual(renameAt(record, ['dims', 'w'], 'width').dims, { width: 1, h: 2 })
    assert.throws(() => renameAt(record, ['title'], 'price'), TreeError)
    assert.throws(() => renameAt(record, ['title'], ''), TreeError)
    assert.throws(() => renameAt(record, ['title'], 'key'), TreeError)
    assert.throws(() => renameAt(record, ['tags', 0], 'x'), TreeError)
  })

  test('the key field cannot be renamed, removed or changed', () => {
    assert.throws(() => renameAt(record, ['key'], 'id'), /key field/)
    assert.throws(() => removeAt(record, ['key']), /key field/)
    assert.throws(() => setAt(record, ['key'], 'lot-2'), /key field/)
    assert.deepEqual(setAt(record, ['key'], 'lot-1'), record, 'writing the same key is allowed')
  })

  test('add fields and items, with fresh names', () => {
    assert.deepEqual(addChild(record, [], 1, 'qty').qty, 1)
    assert.deepEqual(addChild(record, ['tags'], 'c').tags, ['a', 'b', 'c'])
    assert.deepEqual(addChild(record, ['dims'], 0).dims, { w: 1, h: 2, field1: 0 })
    assert.deepEqual(addChild(addChild(record, [], ''), [], '').field2, '')
    assert.throws(() => addChild(record, [], 1, 'title'), TreeError)
    assert.throws(() => addChild(record, ['price'], 1), TreeError)
  })

  test('typed values: conversions keep what they can, typed text is checked', () => {
    assert.equal(convert('12', 'number'), 12)
    assert.equal(convert('abc', 'number'), 0)
    assert.equal(convert(12, 'string'), '12')
    assert.equal(convert(1, 'boolean'), true)
    assert.deepEqual(convert('x', 'array'), ['x'])
    assert.deepEqual(convert({ a: 1 }, 'string'), '{"a":1}')
    assert.equal(parseTyped(' 2.5 ', 'number'), 2.5)
    assert.throws(() => parseTyped('1e999', 'number'), TreeError)
    assert.throws(() => parseTyped('', 'number'), TreeError)
    assert.equal(parseTyped('true', 'boolean'), true)
  })

  test('changed paths: what to highlight after a remote edit', () => {
    const after = { ...record, price: 12, tags: ['a', 'b', 'c'], dims: { w: 1 }, color: 'red' }
    assert.deepEqual([...changedPaths(record, after)].sort(), ['color', 'dims/h', 'price', 'tags/2'])
    assert.deepEqual([...changedPaths(record, record)], [])
    assert.equal(encodePath(['a/b', 0, 'c d']), 'a%2Fb/0/c%20d')
  })

  test('raw JSON is validated before anything is applied', () => {
    assert.deepEqual(parseRecordJson('{"title":"x"}', 'key', 'lot-1'), {
      ok: true,
      value: { key: 'lot-1', title: 'x' },
    })
    const bad = parseRecordJson('{\n  "title": \n}', 'key', 'lot-1')
    assert.equal(bad.ok, false)
    assert.match(!bad.ok ? bad.error : '', /^Not valid JSON — /)
    assert.deepEqual(parseRecordJson('[1]', 'key', 'k'), { ok: false, error: 'A record must be a JSON object ({ … })' })
    assert.match(String((parseRecordJson('{"key":"other"}', 'key', 'k') as { error?: string }).error), /must stay "k"/)
    assert.equal(parseRecordJson('{"key":7}', 'key', 7).ok, true)
  })
})

describe('import and export files', () => {
  test('export writes a dict by key that import reads back', () => {
    const records = [record, { key: 7, n: 1 }]
    const text = exportJson(records, 'key')
    assert.deepEqual(Object.keys(JSON.parse(text) as object), ['7', 'lot-1'])
    assert.deepEqual(
      parseImport(text, 'key').sort((a, b) => String(a.key).localeCompare(String(b.key))),
      [{ key: 7, n: 1 }, record],
    )
  })

  test('import takes arrays of records and dicts without key fields, and explains refusals', () => {
    assert.deepEqual(parseImport('[{"key":"a"},{"key":2}]', 'key'), [{ key: 'a' }, { key: 2 }])
    assert.deepEqual(parseImport('{"a":{"x":1}}', 'key'), [{ key: 'a', x: 1 }])
    for (const [text, message] of [
      ['nope', /not valid JSON/],
      ['42', /object of records/],
      ['[{"x":1}]', /Item 0 has no "key"/],
      ['[1]', /Item 0 is not an object/],
      ['{"a":1}', /"a" is not an object/],
      ['{"a":{"key":"b"}}', /holds the record of key "b"/],
    ] as const) {
      assert.throws(
        () => parseImport(text, 'key'),
        (err: unknown) => err instanceof ImportError && message.test(err.message),
        text,
      )
    }
  })

  test('file names are safe', () => {
    assert.equal(exportFileName('../my room!', new Date('2026-01-02T03:04:05Z')), 'my_room-2026-01-02.json')
    assert.equal(exportFileName('///', new Date('2026-01-02T03:04:05Z')), 'room-2026-01-02.json')
  })
})

describe('recent rooms', () => {
  class MemoryStorage implements Storage {
    private map = new Map<string, string>()
    get length(): number {
      return this.map.size
    }
    clear(): void {
      this.map.clear()
    }
    getItem(k: string): string | null {
      return this.map.get(k) ?? null
    }
    key(i: number): string | null {
      return Array.from(this.map.keys())[i] ?? null
    }
    removeItem(k: string): void {
      this.map.delete(k)
    }
    setItem(k: string, v: string): void {
      this.map.set(k, v)
    }
  }

  test('remembered newest first, without passwords, at most 8, and forgotten on demand', () => {
    const s = new MemoryStorage()
    for (let i = 0; i < 10; i++)
      rememberRoom(s, { room: `r${i}`, signaling: 'ws://h:4444', name: 'Ann', password: 'secret' } as never)
    rememberRoom(s, { room: 'r5', signaling: 'ws://h:4444', name: 'Ann' })
    const list = loadRecent(s)
    assert.deepEqual(
      list.map((e) => e.room),
      ['r5', 'r9', 'r8', 'r7', 'r6', 'r4', 'r3', 'r2'],
    )
    assert.doesNotMatch(s.getItem('diffstream.recent') ?? '', /secret/)
    assert.deepEqual(forgetRoom(s, list[0]!).map((e) => e.room)[0], 'r9')
    s.setItem('diffstream.recent', '{not json')
    assert.deepEqual(loadRecent(s), [])
  })

  test('the current room (with its password or keys) lives in the tab session only', () => {
    const s = new MemoryStorage()
    assert.equal(loadSession(s), null)
    const open = { kind: 'open', password: 'p' } as const
    saveSession(s, { room: 'r', signaling: 'ws://h', name: 'A', access: open })
    assert.deepEqual(loadSession(s), { room: 'r', signaling: 'ws://h', name: 'A', access: open })
    const writerKey = { publicKey: 'P'.repeat(43), privateKey: 'K'.repeat(64) }
    const secret: RoomAccess = { kind: 'private', secret: 's'.repeat(43), writers: [writerKey.publicKey], writerKey }
    saveSession(s, { room: 'r', signaling: 'ws://h', name: 'A', private: true, access: secret })
    assert.deepEqual(loadSession(s), { room: 'r', signaling: 'ws://h', name: 'A', private: true, access: secret })
    // A session saved before private rooms (a bare password) is an open room.
    s.setItem('diffstream.session', JSON.stringify({ room: 'r', signaling: 'ws://h', name: 'A', password: 'p' }))
    assert.deepEqual(loadSession(s)?.access, open)
    // Keys that are not keys are not trusted.
    s.setItem(
      'diffstream.session',
      JSON.stringify({ room: 'r', signaling: 'ws://h', name: 'A', access: { ...secret, writers: [] } }),
    )
    assert.equal(loadSession(s), null)
    saveSession(s, null)
    assert.equal(loadSession(s), null)
  })
})
