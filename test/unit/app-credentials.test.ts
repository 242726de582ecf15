// TURN credentials in the app: the network section's checks and what reaches plain storage
// (renderer), and the main process's encrypted vault behind the credentials IPC channels.
// Electron is not installed here, so safeStorage is stood in for by AES-GCM with a key held in
// the test (what the OS keyring does for Electron); the vault's logic around it is the real one.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CredentialVault, type SafeStorageApi } from '../../app/src/main/credentials.js'
import { createIpcHandlers, IpcInputError } from '../../app/src/main/handlers.js'
import {
  credentialKey,
  credentialsOf,
  NetworkError,
  parseNetwork,
  rowsFrom,
  withoutCredentials,
} from '../../app/src/renderer/network.js'
import { loadRecent, loadSession, rememberRoom, saveSession } from '../../app/src/renderer/recent.js'
import { IPC } from '../../app/src/shared/ipc.js'

class MemoryStorage implements Storage {
  private map = new Map<string, string>()
  get length() {
    return this.map.size
  }
  clear() {
    this.map.clear()
  }
  getItem(k: string) {
    return this.map.get(k) ?? null
  }
  key(i: number) {
    return Array.from(this.map.keys())[i] ?? null
  }
  removeItem(k: string) {
    this.map.delete(k)
  }
  setItem(k: string, v: string) {
    this.map.set(k, String(v))
  }
  dump(): string {
    return JSON.stringify(Array.from(this.map))
  }
}

const turnRow = { urls: 'turn:turn.example.com:3478', username: '1900000000:ann', credential: 'S3cr3t-cred' }

describe('the network section (renderer)', () => {
  test('several signaling servers, STUN/TURN rows and relay only become room options', () => {
    const settings = parseNetwork({
      signaling: 'ws://a:4444\nwss://b.example.com/x?token=t, ws://a:4444',
      iceServers: [
        turnRow,
        { urls: 'stun:stun.example.com:3478', username: '', credential: '' },
        { urls: ' ', username: '', credential: '' },
      ],
      relayOnly: true,
    })
    assert.deepEqual(settings, {
      signaling: ['ws://a:4444', 'wss://b.example.com/x?token=t'],
      iceServers: [
        { urls: ['turn:turn.example.com:3478'], username: '1900000000:ann', credential: 'S3cr3t-cred' },
        { urls: ['stun:stun.example.com:3478'] },
      ],
      iceTransportPolicy: 'relay',
    })
    const none = parseNetwork({ signaling: 'ws://a:4444', iceServers: [], relayOnly: false })
    assert.equal(none.iceServers, undefined, 'no rows: the room asks the signaling servers (/ice)')
    assert.equal(none.iceTransportPolicy, 'all')
  })

  test('refuses what cannot work, with a message for the user', () => {
    const bad = [
      { signaling: '', iceServers: [], relayOnly: false },
      { signaling: 'http://a:4444', iceServers: [], relayOnly: false },
      { signaling: 'ws://a:4444', iceServers: [{ ...turnRow, urls: 'http://x' }], relayOnly: false },
      { signaling: 'ws://a:4444', iceServers: [{ ...turnRow, credential: '' }], relayOnly: false },
      { signaling: 'ws://a:4444', iceServers: [{ urls: 'stun:x:1', username: '', credential: '' }], relayOnly: true },
    ]
    for (const input of bad) assert.throws(() => parseNetwork(input), NetworkError, JSON.stringify(input))
  })

  test('recent rooms keep the servers and usernames but never a credential; the tab session keeps them', () => {
    const local = new MemoryStorage()
    const session = new MemoryStorage()
    const rows = [turnRow]
    const entry = {
      room: 'home',
      signaling: 'ws://a:4444',
      name: 'Ann',
      network: withoutCredentials({ iceServers: rows, relayOnly: true }),
    }
    rememberRoom(local, entry)
    saveSession(session, {
      ...entry,
      access: { kind: 'open', password: 'pw' },
      credentials: credentialsOf({ iceServers: rows }),
    })
    assert.doesNotMatch(local.dump(), /S3cr3t-cred/)
    assert.deepEqual(loadRecent(local)[0]!.network, {
      iceServers: [{ urls: 'turn:turn.example.com:3478', username: '1900000000:ann' }],
      relayOnly: true,
    })
    const back = loadSession(session)!
    assert.deepEqual(rowsFrom(back.network, back.credentials ?? null), rows)
    // Anything else in storage is dropped, not trusted.
    local.setItem(
      'diffstream.recent',
      JSON.stringify([{ ...entry, network: { iceServers: 'x', relayOnly: 1 }, credential: 'leak' }]),
    )
    assert.deepEqual(loadRecent(local), [{ room: 'home', signaling: 'ws://a:4444', name: 'Ann' }])
    assert.equal(credentialKey('home', 'ws://a:4444\nws://b:1'), credentialKey('home', 'ws://a:4444 ws://b:1'))
  })
})

/** AES-GCM under a key held here: what the OS keyring gives Electron's safeStorage. */
function standInSafeStorage(backend = 'gnome_libsecret', available = true): SafeStorageApi {
  const key = randomBytes(32)
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString(text) {
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([c.update(text, 'utf8'), c.final()])
      return Buffer.concat([iv, c.getAuthTag(), body])
    },
    decryptString(buf) {
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12))
      d.setAuthTag(buf.subarray(12, 28))
      return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8')
    },
  }
}

describe('the credential vault (main process)', () => {
  let dir = ''
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ds-vault-'))))
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('stores encrypted, loads back, forgets; the file never holds the credential', async () => {
    const file = join(dir, 'a', 'credentials.json')
    const vault = new CredentialVault(file, standInSafeStorage())
    const value = JSON.stringify(['S3cr3t-cred'])
    assert.deepEqual(await vault.save('home\nws://a:4444', value), { saved: true })
    assert.doesNotMatch(readFileSync(file, 'utf8'), /S3cr3t/)
    assert.equal(await vault.load('home\nws://a:4444'), value)
    assert.equal(await vault.load('other'), null)
    await vault.save('home\nws://a:4444', null)
    assert.equal(await vault.load('home\nws://a:4444'), null)
  })

  test('refuses to store where the system cannot really encrypt (Linux basic_text, or none)', async () => {
    for (const safe of [standInSafeStorage('basic_text'), standInSafeStorage('gnome_libsecret', false)]) {
      const file = join(dir, `refused-${randomBytes(3).toString('hex')}.json`)
      const result = await new CredentialVault(file, safe).save('k', '["x"]')
      assert.equal(result.saved, false)
      assert.match((result as { reason: string }).reason, /keyring|no encrypted storage/)
      assert.equal(existsSync(file), false, 'nothing written')
    }
  })

  test('a corrupt file or an entry that no longer decrypts reads as nothing stored', async () => {
    const file = join(dir, 'corrupt.json')
    writeFileSync(file, '{not json')
    const vault = new CredentialVault(file, standInSafeStorage())
    assert.equal(await vault.load('k'), null)
    assert.deepEqual(await vault.save('k', 'v'), { saved: true })
    // Another keyring (a new machine, a reset keyring): the old entries stay unreadable.
    assert.equal(await new CredentialVault(file, standInSafeStorage()).load('k'), null)
  })

  test('the IPC handlers check the sender and every argument', async () => {
    const vault = new CredentialVault(join(dir, 'ipc.json'), standInSafeStorage())
    const origin = 'http://127.0.0.1:4321'
    const h = createIpcHandlers({
      appOrigin: origin,
      info: () => ({ version: '', mode: 'electron', signalingUrl: null, lan: [], notices: [] }),
      chooseSavePath: async () => null,
      chooseOpenPath: async () => null,
      credentials: vault,
    })
    const me = { url: `${origin}/` }
    assert.deepEqual(await h[IPC.credentialsSave](me, 'k', '["c"]'), { saved: true })
    assert.equal(await h[IPC.credentialsLoad](me, 'k'), '["c"]')
    await assert.rejects(h[IPC.credentialsLoad]({ url: 'https://evil.example/' }, 'k'), IpcInputError)
    for (const args of [
      [],
      ['k'],
      [1, 'v'],
      ['', 'v'],
      ['k', 5],
      ['k', 'x'.repeat(16 * 1024 + 1)],
      ['k'.repeat(5000), 'v'],
    ])
      await assert.rejects(h[IPC.credentialsSave](me, ...args), IpcInputError, JSON.stringify(args).slice(0, 40))
    await assert.rejects(h[IPC.credentialsLoad](me), IpcInputError)
  })
})
