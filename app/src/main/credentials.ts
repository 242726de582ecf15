/**
 * TURN credentials of the rooms joined, kept across restarts only encrypted by the operating
 * system through Electron's `safeStorage` (Keychain, DPAPI, libsecret/kwallet). Where it cannot
 * encrypt for real (Linux without a keyring falls back to a built-in key, `basic_text`), nothing is
 * written and the app keeps the credentials for the session only.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { CredentialsSaveResult } from '../shared/ipc.js'

/** The part of Electron's `safeStorage` used here. */
export interface SafeStorageApi {
  isEncryptionAvailable(): boolean
  encryptString(plainText: string): Buffer
  decryptString(encrypted: Buffer): string
  /** Linux only: `basic_text` means "encrypted" with a key built into Chromium, i.e. not really. */
  getSelectedStorageBackend?(): string
}

interface VaultFile {
  version: 1
  /** key → base64 of the encrypted value. */
  entries: Record<string, string>
}

/** Encrypted credentials in one JSON file (written to a temporary file, then renamed). */
export class CredentialVault {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly file: string,
    private readonly safe: SafeStorageApi,
  ) {}

  /** Why nothing can be stored, or null when the system encrypts. */
  unavailable(): string | null {
    if (!this.safe.isEncryptionAvailable()) return 'this system offers no encrypted storage'
    if (this.safe.getSelectedStorageBackend?.() === 'basic_text')
      return 'no keyring (such as GNOME Keyring or KWallet) is running, so nothing could be encrypted'
    return null
  }

  /** Stores `value` under `key` encrypted, or forgets the key when `value` is null. */
  save(key: string, value: string | null): Promise<CredentialsSaveResult> {
    return this.serial(async () => {
      const reason = this.unavailable()
      if (reason !== null && value !== null) return { saved: false, reason }
      const vault = await this.read()
      if (value === null) delete vault.entries[key]
      else vault.entries[key] = this.safe.encryptString(value).toString('base64')
      await this.write(vault)
      return value === null ? { saved: false, reason: 'forgotten' } : { saved: true }
    })
  }

  /** The value stored under `key`, or null (none, or it no longer decrypts). */
  load(key: string): Promise<string | null> {
    return this.serial(async () => {
      if (this.unavailable() !== null) return null
      const stored = (await this.read()).entries[key]
      if (stored === undefined) return null
      try {
        return this.safe.decryptString(Buffer.from(stored, 'base64'))
      } catch {
        return null
      }
    })
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => undefined)
    return run
  }

  private async read(): Promise<VaultFile> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Partial<VaultFile>
      const entries = parsed.entries
      if (parsed.version === 1 && typeof entries === 'object' && entries !== null && !Array.isArray(entries)) {
        const clean: Record<string, string> = {}
        for (const [k, v] of Object.entries(entries)) if (typeof v === 'string') clean[k] = v
        return { version: 1, entries: clean }
      }
    } catch {
      // Missing or unreadable: start over (the entries are only conveniences, the user can retype them).
    }
    return { version: 1, entries: {} }
  }

  private async write(vault: VaultFile): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(vault), { mode: 0o600 })
    await rename(tmp, this.file)
  }
}
