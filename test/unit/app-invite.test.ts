// The app's invite codes (app/src/renderer/invite-code.ts): what travels from one device to another
// to join a private room. Codes are pasted and clicked, so every malformed one must fail with a
// typed InviteError that says what is wrong, and never be half-read.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createWriterKey } from '@diffstream/core'
import {
  checkWriterKey,
  decodeInvite,
  encodeInvite,
  InviteError,
  inviteLink,
  MAX_INVITE_CHARS,
  newRoomSecret,
  webInviteUrl,
  type Invite,
  type InviteProblem,
} from '../../app/src/renderer/invite-code.js'
import { accessOptions, accessState, parseAccess } from '../../app/src/renderer/access.js'

const writer = await createWriterKey()
const other = await createWriterKey()
const base: Invite = {
  room: 'inventory — été',
  signaling: ['ws://192.168.1.20:4444', 'wss://signal.example.com/?token=abc'],
  secret: newRoomSecret(),
  writers: [writer.publicKey, other.publicKey],
}
const writerInvite: Invite = { ...base, writerKey: writer }

function toB64Url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

/** A code with the given wire object (after the `ds1.` prefix). */
function codeOf(wire: unknown): string {
  return `ds1.${toB64Url(JSON.stringify(wire))}`
}

function fails(text: unknown, problem: InviteProblem, message?: RegExp): void {
  assert.throws(
    () => decodeInvite(text),
    (err: unknown) => {
      assert.ok(err instanceof InviteError, `expected an InviteError, got ${String(err)}`)
      assert.equal(err.problem, problem, err.message)
      if (message) assert.match(err.message, message)
      return true
    },
  )
}

describe('invite codes', () => {
  test('a writer and a read-only invite round-trip, as a code, a diffstream:// link and a web address', () => {
    for (const invite of [writerInvite, base]) {
      const code = encodeInvite(invite)
      assert.match(code, /^ds1\.[A-Za-z0-9_-]+$/)
      assert.ok(code.length < 1000, `a code of ${code.length} characters`)
      assert.deepEqual(decodeInvite(code), invite)
      assert.deepEqual(decodeInvite(inviteLink(code)), invite)
      assert.deepEqual(decodeInvite(webInviteUrl('http://127.0.0.1:4480/#old', code)), invite)
      // Pasted with spaces, line breaks (a mail client wrapped it) and around it.
      assert.deepEqual(decodeInvite(`  ${code.slice(0, 40)}\n${code.slice(40)}\n`), invite)
    }
    assert.equal(decodeInvite(encodeInvite(base)).writerKey, undefined, 'a read-only invite carries no key')
    assert.equal(webInviteUrl('http://h:4480/#x', 'ds1.a'), 'http://h:4480/#invite=ds1.a')
  })

  test('empty, oversized and non-invite texts', () => {
    fails('', 'empty')
    fails('   \n', 'empty')
    fails(undefined, 'empty')
    fails(42, 'empty')
    fails('x'.repeat(MAX_INVITE_CHARS + 1), 'too-long')
    fails(`ds1.${'A'.repeat(MAX_INVITE_CHARS)}`, 'too-long')
    fails('hello', 'not-an-invite', /not a DiffStream invite/)
    fails('ds2.abc', 'not-an-invite')
    fails('ds1.', 'not-an-invite')
    fails('ds1.!!!!', 'not-an-invite')
    fails('ds1.A', 'not-an-invite')
    fails(`ds1.${toB64Url('not json')}`, 'not-an-invite')
    fails(`ds1.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}`, 'not-an-invite')
    fails(codeOf([1, 2]), 'not-an-invite')
    fails(codeOf(null), 'not-an-invite')
    fails(codeOf('ds1'), 'not-an-invite')
    fails('diffstream://join?nocode=1', 'not-an-invite')
    fails('http://127.0.0.1:4480/#nothing', 'not-an-invite')
  })

  test('every truncation of a real code fails with a typed error, never decodes', () => {
    const code = encodeInvite(writerInvite)
    for (let n = 0; n < code.length; n++) {
      assert.throws(
        () => decodeInvite(code.slice(0, n)),
        (err: unknown) => err instanceof InviteError,
        `cut at ${n} of ${code.length}`,
      )
    }
  })

  test('every one-character change of a code fails or decodes to an invite that passes the checks', async () => {
    const code = encodeInvite(writerInvite)
    const alphabet = 'AZaz09-_.!'
    let decoded = 0
    for (let i = 4; i < code.length; i++) {
      for (const c of alphabet) {
        if (code[i] === c) continue
        const mutated = code.slice(0, i) + c + code.slice(i + 1)
        try {
          const invite = decodeInvite(mutated)
          decoded++
          // What decodes is well-formed, and re-encodes to a code that decodes the same.
          assert.deepEqual(decodeInvite(encodeInvite(invite)), invite)
        } catch (err) {
          assert.ok(err instanceof InviteError, `${mutated}: ${String(err)}`)
        }
      }
    }
    assert.ok(decoded < code.length * alphabet.length)
  })

  test('damaged fields are named', () => {
    const wire = {
      v: 1,
      r: 'room',
      s: ['ws://h:4444'],
      p: base.secret,
      w: [writer.publicKey],
      k: [writer.publicKey, writer.privateKey],
    }
    assert.deepEqual(decodeInvite(codeOf(wire)).writerKey, writer)
    fails(codeOf({ ...wire, v: 2 }), 'version', /another version/)
    fails(codeOf({ ...wire, v: '1' }), 'not-an-invite')
    fails(codeOf({ ...wire, r: '' }), 'field', /room name/)
    fails(codeOf({ ...wire, r: 'x'.repeat(201) }), 'field', /room name/)
    fails(codeOf({ ...wire, r: 7 }), 'field', /room name/)
    fails(codeOf({ ...wire, s: 'ws://h:4444' }), 'field', /signaling/)
    fails(codeOf({ ...wire, s: ['http://h:4444'] }), 'field', /signaling/)
    fails(codeOf({ ...wire, s: ['javascript:alert(1)'] }), 'field', /signaling/)
    fails(codeOf({ ...wire, s: Array(9).fill('ws://h:1') }), 'field', /signaling/)
    fails(codeOf({ ...wire, p: 'short' }), 'field', /secret/)
    fails(codeOf({ ...wire, p: `${base.secret}+/` }), 'field', /secret/)
    fails(codeOf({ ...wire, w: [] }), 'field', /writers/)
    fails(codeOf({ ...wire, w: [writer.publicKey, writer.publicKey] }), 'field', /twice/)
    fails(codeOf({ ...wire, w: ['abc'] }), 'field', /writer key/)
    fails(
      codeOf({ ...wire, w: Array.from({ length: 33 }, (_, i) => `${String(i).padStart(2, '0')}${'A'.repeat(41)}`) }),
      'field',
    )
    fails(codeOf({ ...wire, k: [writer.publicKey] }), 'field', /writer key/)
    fails(codeOf({ ...wire, k: { publicKey: writer.publicKey, privateKey: writer.privateKey } }), 'field')
    fails(codeOf({ ...wire, k: [writer.publicKey, 'A'.repeat(64)] }), 'field', /writer key/)
    fails(codeOf({ ...wire, k: [other.publicKey, other.privateKey] }), 'field', /not one of the room/)
    // encodeInvite refuses what decodeInvite would refuse.
    assert.throws(() => encodeInvite({ ...base, secret: 'x' }), InviteError)
  })

  test('a writer key whose private half is not its public half is caught before joining', async () => {
    await checkWriterKey(writer)
    await assert.rejects(
      checkWriterKey({ publicKey: writer.publicKey, privateKey: other.privateKey }),
      (err: unknown) => err instanceof InviteError && /does not match/.test(err.message),
    )
    // Well-formed text, not a key.
    const junk = `MC4CAQAwBQYDK2VwBCIEI${'_'.repeat(43)}`
    await checkWriterKey({ publicKey: writer.publicKey, privateKey: junk }).then(
      () => assert.fail('junk accepted'),
      (err: unknown) => assert.ok(err instanceof InviteError),
    )
  })
})

describe('room access', () => {
  test('a private room with its key writes; without it reads only, as a consumer; an open room is open', () => {
    const writerAccess = { kind: 'private' as const, secret: base.secret, writers: base.writers, writerKey: writer }
    assert.equal(accessState(writerAccess), 'writer')
    assert.deepEqual(accessOptions(writerAccess), {
      password: base.secret,
      writers: base.writers,
      role: 'peer',
      writerKey: writer,
    })
    const reader = { kind: 'private' as const, secret: base.secret, writers: base.writers }
    assert.equal(accessState(reader), 'read-only')
    assert.deepEqual(accessOptions(reader), { password: base.secret, writers: base.writers, role: 'consumer' })
    // A key that is not listed does not make a writer.
    const unlisted = { ...reader, writers: [other.publicKey], writerKey: writer }
    assert.equal(accessState(unlisted), 'read-only')
    assert.equal(accessOptions(unlisted).writerKey, undefined)
    assert.equal(accessState({ kind: 'open', password: 'pw' }), 'open')
    assert.deepEqual(accessOptions({ kind: 'open', password: '' }), { password: undefined, role: 'peer' })
  })

  test('stored access is checked like outside input', () => {
    const stored = { kind: 'private', secret: base.secret, writers: base.writers, writerKey: writer }
    assert.deepEqual(parseAccess(JSON.parse(JSON.stringify(stored))), stored)
    assert.equal(parseAccess({ ...stored, kind: 'closed' }), null)
    assert.equal(parseAccess({ ...stored, writers: 'x' }), null)
    assert.equal(parseAccess({ ...stored, writers: [] }), null)
    assert.equal(parseAccess({ ...stored, writerKey: { publicKey: 1 } }), null)
    assert.equal(parseAccess({ ...stored, secret: '<script>' }), null)
    assert.equal(parseAccess(null), null)
    assert.deepEqual(parseAccess({ kind: 'open', password: 'p', extra: 1 }), { kind: 'open', password: 'p' })
  })
})
