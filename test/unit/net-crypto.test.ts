// Signaling encryption must interoperate with y-webrtc 10.x byte for byte: checked against real lib0.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as lib0buffer from 'lib0/buffer'
import { InvalidMessageError, UnsupportedValueError } from '@diffstream/core'
import {
  decrypt,
  decryptJson,
  deriveKey,
  encrypt,
  encryptJson,
  fromBase64,
  MAX_ANY_DEPTH,
  readAny,
  toBase64,
  writeAny,
  type AnyValue,
} from '@diffstream/core/net'

// --- y-webrtc's src/crypto.js, transcribed: WebCrypto + lib0 encoding, nothing of ours ----------

const te = new TextEncoder()

/** getRandomValues refuses more than 64 KiB per call. */
function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536))
  return out
}

async function yDeriveKey(secret: string, roomName: string): Promise<CryptoKey> {
  const keyMaterial = await crypto.subtle.importKey('raw', te.encode(secret), 'PBKDF2', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: te.encode(roomName), iterations: 100000, hash: 'SHA-256' },
    keyMaterial,
    { name: 'AES-GCM', length: 256 },
    true,
    ['encrypt', 'decrypt'],
  )
}

async function yEncrypt(data: Uint8Array<ArrayBuffer>, key: CryptoKey): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, data)
  const enc = encoding.createEncoder()
  encoding.writeVarString(enc, 'AES-GCM')
  encoding.writeVarUint8Array(enc, iv)
  encoding.writeVarUint8Array(enc, new Uint8Array(cipher))
  return encoding.toUint8Array(enc)
}

async function yEncryptJson(data: unknown, key: CryptoKey): Promise<Uint8Array> {
  const enc = encoding.createEncoder()
  encoding.writeAny(enc, data as encoding.AnyEncodable)
  return yEncrypt(encoding.toUint8Array(enc), key)
}

async function yDecrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const dec = decoding.createDecoder(data)
  const algorithm = decoding.readVarString(dec)
  if (algorithm !== 'AES-GCM') throw new Error('Unknown encryption algorithm')
  const iv = decoding.readVarUint8Array(dec)
  const cipher = decoding.readVarUint8Array(dec)
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: iv.slice() }, key, cipher.slice()))
}

async function yDecryptJson(data: Uint8Array, key: CryptoKey): Promise<unknown> {
  return decoding.readAny(decoding.createDecoder(await yDecrypt(data, key)))
}

function lib0WriteAny(value: unknown): Uint8Array {
  const enc = encoding.createEncoder()
  encoding.writeAny(enc, value as encoding.AnyEncodable)
  return encoding.toUint8Array(enc)
}

function lib0ReadAny(bytes: Uint8Array): unknown {
  const dec = decoding.createDecoder(bytes)
  const value = decoding.readAny(dec)
  assert.equal(dec.pos, bytes.length, 'lib0 consumed every byte')
  return value
}

// --- sample values -------------------------------------------------------------------------------

const uuid = '3f1c2a9e-7b4d-4e8a-9c61-0d5b2f7e8a14'
const sdp = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:Yx7c',
  'a=ice-pwd:8b3QxvPqU0s0mRrj4yRkzT+e',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 9B:1E:4A:77:0C:D2:5F:83:AA:61:3E:9D:02:BC:44:F0:1D:7A:88:C5:3B:E6:90:12:5C:AF:37:D4:6E:0B:99:21',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
]
  .join('\r\n')
  .repeat(20)

const numbers = [
  0, -0, 1, -1, 63, 64, -63, -64, 127, 128, 8191, 8192, 2 ** 31 - 1, -(2 ** 31 - 1), 2 ** 31, -(2 ** 31),
  2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 + 2, 0.5, -0.25, 0.1, 1 / 3, 3.14159,
  1e300, -1e-300, Number.MIN_VALUE, Number.MAX_VALUE, 16777217, 1.5e10, Infinity, -Infinity, NaN,
]

const samples: Array<[string, AnyValue]> = [
  ['announce', { type: 'announce', from: uuid }],
  ['offer', { type: 'signal', from: uuid, to: 'b7e2c1d0-0000-4000-8000-000000000001', signal: { type: 'offer', sdp } }],
  [
    'candidate',
    {
      type: 'signal',
      from: uuid,
      to: 'peer',
      signal: {
        type: 'candidate',
        candidate: {
          candidate: 'candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag Yx7c network-cost 999',
          sdpMLineIndex: 0,
          sdpMid: '0',
        },
      },
    },
  ],
  ['bare candidate', { candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 50000 typ host', sdpMLineIndex: 0, sdpMid: '0' } }],
  ['numbers', { numbers }],
  ['nested arrays', { a: [[], [1, [2, [3, [4, ['five', null, true, false]]]]], [[[[[]]]]]] }],
  ['unicode', { s: 'žluťoučký kůň 🐎 日本語 \u0000 \uFEFFbom', '': '', 'ключ': 'значение' }],
  ['proto key', JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as AnyValue],
  ['undefined and bytes', { u: undefined, b: new Uint8Array([0, 1, 2, 255]) }],
  ['top-level scalars', ['x', 1, 2.5, null]],
  ['empty string key', { '': { '': [] } }],
  ['long string', { s: 'x'.repeat(40_000) }],
]

// --- writeAny / readAny against lib0 --------------------------------------------------------------

test('writeAny produces exactly lib0 writeAny bytes', () => {
  for (const [name, value] of samples) {
    assert.deepEqual(writeAny(value), lib0WriteAny(value), name)
  }
  for (const n of numbers) assert.deepEqual(writeAny(n), lib0WriteAny(n), `number ${n}`)
  for (const v of [null, undefined, true, false, '', 'x', [], {}]) assert.deepEqual(writeAny(v), lib0WriteAny(v))
})

test('readAny reads lib0 bytes and lib0 reads ours, losslessly', () => {
  for (const [name, value] of samples) {
    assert.deepEqual(readAny(lib0WriteAny(value)), value, `ours reads lib0: ${name}`)
    // lib0's own readAny assigns obj['__proto__'], turning that key into a prototype: skip it there.
    if (name !== 'proto key') assert.deepEqual(lib0ReadAny(writeAny(value)), value, `lib0 reads ours: ${name}`)
  }
  for (const n of numbers) {
    // float32 values come back as the float32 value, which isFloat32 guarantees equals n.
    assert.ok(Object.is(readAny(lib0WriteAny(n)), n), `number ${n}`)
    assert.ok(Object.is(lib0ReadAny(writeAny(n)), n), `number ${n}`)
  }
})

test('number encodings follow lib0: varint up to 2^31-1, then float32 if exact, else float64', () => {
  assert.equal(writeAny(2 ** 31 - 1)[0], 125)
  assert.equal(writeAny(-(2 ** 31 - 1))[0], 125)
  assert.equal(writeAny(-0)[0], 125)
  assert.deepEqual(writeAny(-0), Uint8Array.of(125, 0x40))
  assert.equal(writeAny(2 ** 31)[0], 124) // exact in float32
  assert.equal(writeAny(0.5)[0], 124)
  assert.equal(writeAny(Infinity)[0], 124)
  assert.equal(writeAny(0.1)[0], 123)
  assert.equal(writeAny(2 ** 31 + 1)[0], 123)
  assert.equal(writeAny(NaN)[0], 123)
})

test('a "__proto__" key stays an own data property', () => {
  const v = readAny(lib0WriteAny(JSON.parse('{"__proto__": {"polluted": true}}'))) as Record<string, unknown>
  assert.equal(Object.getPrototypeOf(v), Object.prototype)
  assert.deepEqual(Object.keys(v), ['__proto__'])
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
})

test('readAny rejects malformed input with InvalidMessageError only', () => {
  const bad: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array()],
    ['unknown tag', Uint8Array.of(115)],
    ['tag 0', Uint8Array.of(0)],
    ['bigint', lib0WriteAny(5n)],
    ['trailing bytes', Uint8Array.of(126, 0)],
    ['truncated string', Uint8Array.of(119, 5, 97)],
    ['truncated float64', Uint8Array.of(123, 0, 0)],
    ['truncated float32', Uint8Array.of(124, 0)],
    ['truncated varint', Uint8Array.of(125, 0x80)],
    ['object count lies', Uint8Array.of(118, 0xff, 0xff, 0xff, 0x7f)],
    ['array count lies', Uint8Array.of(117, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f)],
    ['array missing values', Uint8Array.of(117, 3, 126)],
    ['invalid UTF-8', Uint8Array.of(119, 2, 0xc3, 0x28)],
    ['invalid UTF-8 key', Uint8Array.of(118, 1, 1, 0xff, 126)],
    ['bytes truncated', Uint8Array.of(116, 4, 1, 2)],
    ['too deep', new Uint8Array([...new Array<number>(MAX_ANY_DEPTH + 1).fill(0).flatMap(() => [117, 1]), 126])],
  ]
  for (const [name, bytes] of bad) assert.throws(() => readAny(bytes), InvalidMessageError, name)

  // Exactly MAX_ANY_DEPTH levels is fine.
  const deep = new Uint8Array([...new Array<number>(MAX_ANY_DEPTH).fill(0).flatMap(() => [117, 1]), 126])
  assert.doesNotThrow(() => readAny(deep))
})

test('readAny survives random and truncated input, throwing only InvalidMessageError', () => {
  let seed = 12345
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const valid = samples.map(([, v]) => writeAny(v))
  for (let i = 0; i < 5000; i++) {
    let bytes: Uint8Array
    const base = valid[Math.floor(rand() * valid.length)]!
    if (i % 3 === 0) bytes = base.subarray(0, Math.floor(rand() * base.length))
    else if (i % 3 === 1) {
      bytes = base.slice()
      for (let k = 0; k < 3; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256)
    } else {
      bytes = new Uint8Array(Math.floor(rand() * 40))
      for (let k = 0; k < bytes.length; k++) bytes[k] = rand() < 0.5 ? 116 + Math.floor(rand() * 12) : Math.floor(rand() * 256)
    }
    try {
      readAny(bytes)
    } catch (err) {
      if (!(err instanceof InvalidMessageError)) assert.fail(`input ${Array.from(bytes).join(',')}: ${String(err)}`)
    }
  }
})

test('writeAny refuses what readAny could not read back', () => {
  assert.throws(() => writeAny({ n: 1n } as unknown as AnyValue), UnsupportedValueError)
  assert.throws(() => writeAny({ f: () => 1 } as unknown as AnyValue), UnsupportedValueError)
  assert.throws(() => writeAny([Symbol('s')] as unknown as AnyValue), UnsupportedValueError)
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  assert.throws(() => writeAny(cyclic), UnsupportedValueError)
})

// --- base64 ----------------------------------------------------------------------------------------

test('toBase64/fromBase64 match lib0 buffer and reject invalid text', () => {
  const rnd = randomBytes(100_003)
  for (const bytes of [new Uint8Array(), Uint8Array.of(0), Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3), rnd, rnd.subarray(7, 70_000)]) {
    const s = toBase64(bytes)
    assert.equal(s, lib0buffer.toBase64(bytes))
    assert.deepEqual(fromBase64(s), bytes)
    assert.deepEqual(fromBase64(s), lib0buffer.fromBase64(s))
  }
  assert.deepEqual(fromBase64('QQ'), Uint8Array.of(65), 'unpadded, as atob allows')
  for (const bad of ['Q', 'QQ=', 'Q===', '=', 'QU JD', 'QUJD\n', 'QUJD-_', 'QQ==QQ==', 'é', '😀']) {
    assert.throws(() => fromBase64(bad), InvalidMessageError, JSON.stringify(bad))
  }
  assert.throws(() => fromBase64(42 as unknown as string), InvalidMessageError)
})

// --- encryption ------------------------------------------------------------------------------------

const keyA = deriveKey('correct horse battery staple', 'room-1')
const yKeyA = yDeriveKey('correct horse battery staple', 'room-1')

test('encrypt/decrypt round trip, fresh IV each time', async () => {
  const key = await keyA
  for (const plain of [new Uint8Array(), Uint8Array.of(1, 2, 3), randomBytes(70_000)]) {
    const a = await encrypt(plain, key)
    const b = await encrypt(plain, key)
    assert.notDeepEqual(a, b)
    assert.deepEqual(await decrypt(a, key), plain)
    assert.deepEqual(await decrypt(b, key), plain)
  }
  // Works on a view into a larger buffer.
  const big = crypto.getRandomValues(new Uint8Array(100))
  assert.deepEqual(await decrypt(await encrypt(big.subarray(10, 20), key), key), big.subarray(10, 20))
})

test('encryptJson/decryptJson round trip every sample', async () => {
  const key = await keyA
  for (const [name, value] of samples) {
    assert.deepEqual(await decryptJson(await encryptJson(value, key), key), value, name)
  }
})

test('deriveKey gives y-webrtc’s key: each decrypts the other’s raw AES-GCM output', async () => {
  // Our key is non-extractable, so equality is shown by behaviour rather than by exported bytes.
  const iv = new Uint8Array(12)
  const plain = te.encode('same key?')
  const ours = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await keyA, plain))
  const theirs = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await yKeyA, plain))
  assert.deepEqual(ours, theirs)
  const other = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await deriveKey('correct horse battery staple', 'room-2'), plain))
  assert.notDeepEqual(other, theirs)
  await assert.rejects(crypto.subtle.exportKey('raw', await keyA))
})

test('y-webrtc decrypts what we encrypt, and we decrypt what y-webrtc encrypts', async () => {
  const ours = await keyA
  const theirs = await yKeyA
  for (const [name, value] of samples) {
    if (name === 'proto key') continue // lib0's readAny mangles a "__proto__" key; see above
    assert.deepEqual(await yDecryptJson(await encryptJson(value, ours), theirs), value, `y-webrtc reads ours: ${name}`)
    assert.deepEqual(await decryptJson(await yEncryptJson(value, theirs), ours), value, `we read y-webrtc: ${name}`)
    // And through base64, as the signaling `data` field carries it.
    const wire = lib0buffer.toBase64(await yEncryptJson(value, theirs))
    assert.deepEqual(await decryptJson(fromBase64(wire), ours), value, `via base64: ${name}`)
    const back = lib0buffer.fromBase64(toBase64(await encryptJson(value, ours)))
    assert.deepEqual(await yDecryptJson(back, theirs), value, `via base64 back: ${name}`)
  }
  const raw = crypto.getRandomValues(new Uint8Array(1000))
  assert.deepEqual(await yDecrypt(await encrypt(raw, ours), theirs), raw)
  assert.deepEqual(await decrypt(await yEncrypt(raw.slice(), theirs), ours), raw)
})

test('a wrong password or another room fails with InvalidMessageError wrapping the DOMException', async () => {
  const sealed = await encryptJson({ type: 'announce', from: uuid }, await keyA)
  for (const key of [await deriveKey('wrong password', 'room-1'), await deriveKey('correct horse battery staple', 'room-2')]) {
    await assert.rejects(decryptJson(sealed, key), (err: unknown) => {
      assert.ok(err instanceof InvalidMessageError)
      assert.ok(err.cause instanceof Error || (typeof err.cause === 'object' && err.cause !== null))
      assert.equal((err.cause as { name?: string }).name, 'OperationError')
      return true
    })
  }
})

test('tampered or malformed envelopes fail with InvalidMessageError', async () => {
  const key = await keyA
  const sealed = await encryptJson({ type: 'announce', from: uuid }, key)
  // Flip one bit at every position: header, IV, ciphertext and tag.
  for (let i = 0; i < sealed.length; i++) {
    const t = sealed.slice()
    t[i]! ^= 0x01
    await assert.rejects(decrypt(t, key), InvalidMessageError, `bit flip at ${i}`)
  }
  const envelope = (alg: string, iv: Uint8Array, cipher: Uint8Array, extra: number[] = []) => {
    const enc = encoding.createEncoder()
    encoding.writeVarString(enc, alg)
    encoding.writeVarUint8Array(enc, iv)
    encoding.writeVarUint8Array(enc, cipher)
    for (const b of extra) encoding.writeUint8(enc, b)
    return encoding.toUint8Array(enc)
  }
  const dec = decoding.createDecoder(sealed)
  decoding.readVarString(dec)
  const iv = decoding.readVarUint8Array(dec)
  const cipher = decoding.readVarUint8Array(dec)
  assert.deepEqual(await decrypt(envelope('AES-GCM', iv, cipher), key), await decrypt(sealed, key))
  const bad: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array()],
    ['other algorithm', envelope('AES-CBC', iv, cipher)],
    ['short iv', envelope('AES-GCM', iv.subarray(0, 11), cipher)],
    ['long iv', envelope('AES-GCM', new Uint8Array(16), cipher)],
    ['trailing byte', envelope('AES-GCM', iv, cipher, [0])],
    ['no tag', envelope('AES-GCM', iv, cipher.subarray(0, 15))],
    ['empty ciphertext', envelope('AES-GCM', iv, new Uint8Array())],
    ['truncated', sealed.subarray(0, sealed.length - 1)],
    ['truncated header', sealed.subarray(0, 5)],
    ['huge length', Uint8Array.of(7, ...te.encode('AES-GCM'), 0xff, 0xff, 0xff, 0xff, 0x0f)],
    ['plaintext not writeAny', await encrypt(Uint8Array.of(200), key)],
    ['plaintext with trailing bytes', await encrypt(Uint8Array.of(126, 126), key)],
    ['plaintext bigint', await encrypt(lib0WriteAny(1n), key)],
  ]
  for (const [name, bytes] of bad) await assert.rejects(decryptJson(bytes, key), InvalidMessageError, name)
})

test('random envelopes only ever reject with InvalidMessageError', async () => {
  const key = await keyA
  let seed = 99
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const sealed = await encryptJson({ type: 'announce', from: uuid }, key)
  for (let i = 0; i < 500; i++) {
    const bytes = i % 2 ? sealed.subarray(0, Math.floor(rand() * sealed.length)) : crypto.getRandomValues(new Uint8Array(Math.floor(rand() * 80)))
    if (i % 4 === 0 && bytes.length > 0) bytes[0] = 7 // a plausible algorithm-name length
    await assert.rejects(decryptJson(bytes, key), InvalidMessageError)
  }
})
