// Every default the documentation states is the code's default. The TSDoc of the shipped .d.ts
// states defaults with @defaultValue; each one is listed here with the value the code really uses
// (read from live objects or from the constant the code reads), and a stated default without an
// entry here fails, as does a default stated in prose ("default 4") instead of @defaultValue.
// The defaults that README.md and docs/*.md repeat are checked against the same values.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { DiffCache } from '../../core/src/diff-cache.js'
import { DataMsg, DEFAULT_MAX_MESSAGE_BYTES } from '../../core/src/data-msg.js'
import { Reassembler, MAX_FRAME } from '../../core/src/net/chunking.js'
import { DEFAULT_SIGNALING, Room } from '../../core/src/net/room.js'
import { DEFAULT_MAX_BATCH_BYTES } from '../../core/src/store/file-store.js'
import { resolveStoreOptions } from '../../core/src/store/options.js'
import type { DocStore } from '../../core/src/store/types.js'
import { DEFAULT_LIMITS } from '../../signaling/src/limits.js'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_HOST, DEFAULT_PORT } from '../../signaling/src/server.js'
import { DEFAULT_TURN_TTL_SECONDS } from '../../signaling/src/ice.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** `{ doc }`: the default is prose that no value can check; the stated text must stay this. */
type Expected = { value: unknown } | { doc: string }

/** Reads a private field the way the code stores it; a rename fails loudly here, never silently. */
function field(obj: object, ...path: string[]): unknown {
  let v: unknown = obj
  for (const p of path) {
    assert.ok(v !== null && typeof v === 'object' && p in v, `no field ${path.join('.')} (renamed?)`)
    v = (v as Record<string, unknown>)[p]
  }
  return v
}

/** A room that never connects: its store fails to load, so it never reaches the signaling. */
function offlineRoom(): Room {
  const store: DocStore = {
    load: () => Promise.reject(new Error('defaults test: no store')),
    append: async () => undefined,
    compact: async () => undefined,
    size: 0,
    close: async () => undefined,
  }
  const room = new Room('defaults-test', { store })
  room.on('warning', () => undefined)
  return room
}

function expectedDefaults(): { table: Record<string, Expected>; done: () => Promise<void> } {
  const cache = DiffCache.producer()
  const room = offlineRoom()
  const reassembler = new Reassembler()
  const bare = new DataMsg({ cmd: 'new', key: 1, update: new Uint8Array(0) })
  const policy = (o: object): unknown => ({ ratio: field(o, 'ratio'), minBytes: field(o, 'minBytes') })
  const storeDefaults = resolveStoreOptions({})
  try {
    return { table: defaultsTable(cache, room, reassembler, bare, policy, storeDefaults), done: () => room.close() }
  } catch (err) {
    // a renamed field: close the room anyway, or its timers keep the test process alive
    void room.close()
    throw err
  }
}

function defaultsTable(
  cache: DiffCache,
  room: Room,
  reassembler: Reassembler,
  bare: DataMsg,
  policy: (o: object) => unknown,
  storeDefaults: ReturnType<typeof resolveStoreOptions>,
): Record<string, Expected> {
  const table: Record<string, Expected> = {
    'DiffCacheOptions.keyName': { value: cache.keyName },
    'DiffCacheOptions.copy': { value: cache.copy },
    'DiffCacheOptions.strict': { value: cache.strict },
    'DiffCacheOptions.maxMessageBytes': { value: field(cache, 'maxMessageBytes') },
    'DiffCacheOptions.maxHeldBytes': { value: field(cache, 'held', 'maxBytes') },
    'DiffCacheOptions.compaction': { value: policy(field(cache, 'policy') as object) },
    'DiffCacheOptions.store': { doc: 'none: the cache lives in memory only' },
    'DecodeLimits.maxBytes': { value: DEFAULT_MAX_MESSAGE_BYTES },
    ...Object.fromEntries(
      (['checksum', 'state', 'epoch', 'cut', 'source'] as const).map((k) => [`DataMsgInit.${k}`, { value: field(bare, k) }]),
    ),
    'RoomOptions.signaling': { value: DEFAULT_SIGNALING },
    'RoomOptions.password': { doc: 'none: signaling in the clear' },
    'RoomOptions.role': { value: room.role },
    'RoomOptions.keyName': { value: field(room, 'keyName') },
    'RoomOptions.iceServers': { doc: 'asked from the signaling servers (`GET /ice`)' },
    'RoomOptions.iceTransportPolicy': { value: 'all' },
    'RoomOptions.wrtc': { doc: "the platform's, or `@roamhq/wrtc` in Node" },
    'RoomOptions.maxConns': { value: field(room, 'mesh', 'membership', 'options', 'maxConns') },
    'RoomOptions.heartbeatMs': { value: field(room, 'mesh', 'liveness', 'timeoutMs') },
    'RoomOptions.name': { doc: '`peer-` and the first 4 characters of {@link Room.peerId}' },
    'RoomOptions.maxMessageBytes': { value: field(room, 'links', 'options', 'maxMessageBytes') },
    'RoomOptions.store': { doc: 'none: the room lives in memory only' },
    'RoomOptions.compaction': { value: policy(field(room, 'replica', 'policy') as object) },
    'RoomOptions.writers': { doc: 'none: an open room, where anyone with the password writes' },
    'RoomOptions.writerKey': { doc: 'none' },
    'RoomOptions.antiEntropy': { value: { digestMs: field(room, 'replica', 'antiEntropy', 'digestMs') } },
    'AntiEntropyRoomOptions.digestMs': { value: field(room, 'replica', 'antiEntropy', 'digestMs') },
    'ReassemblerOptions.maxMessageBytes': { value: field(reassembler, 'maxMessageBytes') },
    'ReassemblerOptions.maxPending': { value: field(reassembler, 'maxPending') },
    'ReassemblerOptions.maxFrame': { doc: `{@link MAX_FRAME} (${MAX_FRAME / 1024} KiB)` },
    'ReassemblerOptions.timeoutMs': { doc: 'never' },
    'StoreOptions.sync': { value: storeDefaults.sync },
    'StoreOptions.maxFrameBytes': { value: storeDefaults.maxFrameBytes },
    'StoreOptions.maxSnapshotBytes': { value: storeDefaults.maxSnapshotBytes },
    'FileStoreOptions.maxBatchBytes': { value: DEFAULT_MAX_BATCH_BYTES },
    'IndexedDbStoreOptions.durability': { value: 'strict' },
    'IndexedDbStoreOptions.indexedDB': { doc: '`globalThis.indexedDB`' },
    'IndexedDbStoreOptions.locks': { doc: '`navigator.locks`' },
    'SignalingServerOptions.port': { value: DEFAULT_PORT },
    'SignalingServerOptions.host': { value: DEFAULT_HOST },
    'SignalingServerOptions.heartbeatIntervalMs': { value: DEFAULT_HEARTBEAT_MS },
    'SignalingServerOptions.logLevel': { value: 'info' },
    'TurnOptions.ttlSeconds': { value: DEFAULT_TURN_TTL_SECONDS },
    'SignalingServerOptions.logger': { doc: 'one JSON line per entry on stderr' },
    ...Object.fromEntries(Object.entries(DEFAULT_LIMITS).map(([k, v]) => [`SignalingLimits.${k}`, { value: v }])),
  }
  // The room's name default is checked on the room itself: it is prose in the docs.
  assert.equal((room.awareness.getLocalState() as { name: string }).name, `peer-${room.peerId.slice(0, 4)}`)
  return table
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }

/** The value a @defaultValue text states, or undefined when it is prose. */
function parseStated(text: string): unknown {
  const t = text.trim()
  const size = /^(\d+(?:\.\d+)?) (B|KiB|MiB|GiB)$/.exec(t)
  if (size) return Number(size[1]) * UNITS[size[2]!]!
  if (/^\d+$/.test(t)) return Number(t)
  const code = /^`([^`]+)`$/.exec(t)
  if (!code) return undefined
  // JavaScript literals as the docs write them: quotes, arrays, objects with bare keys.
  const json = code[1]!.replace(/'/g, '"').replace(/([{,]\s*)([A-Za-z_]\w*)\s*:/g, '$1"$2":')
  try {
    return JSON.parse(json)
  } catch {
    return undefined
  }
}

interface Stated {
  key: string
  text: string
}

function dtsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return dtsFiles(path)
    return name.endsWith('.d.ts') ? [path] : []
  })
}

/** Every @defaultValue in the shipped declarations, and every comment that states a default in prose. */
function statedDefaults(): { stated: Stated[]; prose: string[] } {
  // What the entry points export, as the committed API reports list it.
  const publicNames = new Set<string>()
  for (const report of readdirSync(join(root, 'api'))) {
    const text = readFileSync(join(root, 'api', report), 'utf8')
    for (const m of text.matchAll(
      /^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|enum) (\w+)/gm,
    ))
      publicNames.add(m[1]!)
  }
  const stated: Stated[] = []
  const prose: string[] = []
  for (const file of [...dtsFiles(join(root, 'core', 'dist')), ...dtsFiles(join(root, 'signaling', 'dist'))]) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node, owner: string): void => {
      let name = owner
      if (
        (ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node) || ts.isTypeAliasDeclaration(node)) &&
        node.name
      )
        name = node.name.text
      for (const doc of ts.getJSDocCommentsAndTags(node)) {
        if (!ts.isJSDoc(doc)) continue
        const member = (node as { name?: ts.Node }).name
        const key = `${name}.${member && ts.isIdentifier(member) ? member.text : '?'}`
        const comment = ts.getTextOfJSDocComment(doc.comment) ?? ''
        if (publicNames.has(name || key.slice(1)) && /\bdefaults?(?: to| is)?:?\s+[`'"\d]/i.test(comment))
          prose.push(`${file.replace(root, '')}: ${key}: "${comment.slice(0, 100)}"`)
        for (const tag of doc.tags ?? []) {
          if (tag.tagName.text === 'defaultValue')
            stated.push({ key, text: ts.getTextOfJSDocComment(tag.comment) ?? '' })
        }
      }
      ts.forEachChild(node, (child) => visit(child, name))
    }
    visit(source, '')
  }
  return { stated, prose }
}

test('every @defaultValue in the public declarations is the default the code uses', async () => {
  const { table, done } = expectedDefaults()
  try {
    const { stated } = statedDefaults()
    assert.ok(stated.length >= 30, `only ${stated.length} @defaultValue tags found`)
    const seen = new Set<string>()
    for (const { key, text } of stated) {
      if (seen.has(key)) continue // the same declaration reached twice (re-exported)
      seen.add(key)
      const expected = table[key]
      assert.ok(expected, `${key}: "@defaultValue ${text}" has no entry in this test; add what the code uses`)
      if ('doc' in expected)
        assert.equal(text, expected.doc, `${key}: the stated default changed; check it against the code`)
      else assert.deepEqual(parseStated(text), expected.value, `${key}: the docs say ${text}`)
    }
    const undocumented = Object.keys(table).filter((k) => !seen.has(k))
    assert.deepEqual(undocumented, [], 'defaults this test knows that the docs no longer state')
  } finally {
    await done()
  }
})

test('no default is stated in prose, where this test could not check it', () => {
  assert.deepEqual(statedDefaults().prose, [], 'state these with @defaultValue')
})

test('README.md and docs/ repeat the same defaults', async () => {
  const { table, done } = expectedDefaults()
  await done()
  const value = (key: string): unknown => (table[key] as { value: unknown }).value
  const read = (file: string): string => readFileSync(join(root, file), 'utf8')
  const match = (file: string, re: RegExp): string[] => {
    const m = re.exec(read(file))
    assert.ok(m, `${file} no longer says ${re}; update this test with the new wording`)
    return m.slice(1)
  }
  const facade = value('DiffCacheOptions.compaction') as { ratio: number; minBytes: number }
  const rooms = value('RoomOptions.compaction') as { ratio: number; minBytes: number }
  const kib = (n: number): string => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`)

  let [ratio, minBytes] = match('README.md', /compaction: \{ ratio: (\d+), minBytes: (\d+) \} by default/)
  assert.deepEqual([Number(ratio), Number(minBytes)], [facade.ratio, facade.minBytes], 'README: facade compaction')
  const [keyName, copy, strict] = match('README.md', /options: \{ keyName: '(\w+)', copy: (\w+), strict: (\w+) \}/)
  assert.deepEqual([keyName, copy, strict], [value('DiffCacheOptions.keyName'), 'true', 'false'].map(String))
  assert.deepEqual(match('README.md', /\/\/ default \['([^']+)'\]/), value('RoomOptions.signaling'))
  ;[ratio, minBytes] = match('README.md', /at (\d+)× the live data and (\d+ [KM]iB)/)
  assert.deepEqual([Number(ratio), minBytes], [rooms.ratio, kib(rooms.minBytes)], 'README: room compaction')

  ;[ratio, minBytes] = match(
    'docs/compaction.md',
    /\(default \*\*(\d+)\*\*\)\s+and also exceeds `minBytes` \(default \*\*(\d+ KiB)\*\*\)/,
  )
  assert.deepEqual([Number(ratio), minBytes], [facade.ratio, kib(facade.minBytes)], 'compaction.md: facade')
  ;[ratio, minBytes] = match('docs/compaction.md', /Rooms use \*\*ratio (\d+) and (\d+ MiB)\*\* by default/)
  assert.deepEqual([Number(ratio), minBytes], [rooms.ratio, kib(rooms.minBytes)], 'compaction.md: rooms')

  const [sync, frame, snapshot] = match(
    'docs/store.md',
    /`sync: 'group' \| 'each'` \(default `'(\w+)'`\), `maxFrameBytes` \(default\s+(\d+ MiB)[^)]*\), `maxSnapshotBytes` \(default (\d+ GiB)\)/,
  )
  assert.deepEqual([sync, frame, snapshot], ['group', '64 MiB', '1 GiB'])
  assert.deepEqual(
    [value('StoreOptions.sync'), value('StoreOptions.maxFrameBytes'), value('StoreOptions.maxSnapshotBytes')],
    ['group', 64 * 1024 ** 2, 1024 ** 3],
  )
  assert.deepEqual(match('docs/wire.md', /`maxMessageBytes` \(default (\d+) MiB\)/).map(Number), [
    (value('DiffCacheOptions.maxMessageBytes') as number) / 1024 ** 2,
  ])

  // docs/signaling.md's limits table: | `name` | `--flag` | default | …
  const rows = [...read('docs/signaling.md').matchAll(/^\| `(\w+)`\s*\| `--[\w-]+`\s*\| ([^|]+?)\s*\|/gm)]
  assert.ok(rows.length >= 9, 'docs/signaling.md has its limits table')
  for (const [, name, text] of rows) {
    const key =
      name === 'heartbeatIntervalMs' ? 'SignalingServerOptions.heartbeatIntervalMs' : `SignalingLimits.${name}`
    const stated = text!.replace(/ (bytes|characters|ms)$/, '')
    assert.equal(parseStated(stated), value(key), `docs/signaling.md: ${name} is ${text}`)
  }
  assert.deepEqual(match('docs/signaling.md', /The default host is `([\d.]+)`/), [value('SignalingServerOptions.host')])
})
