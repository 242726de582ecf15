import { ByteReader } from '../byte-reader.js'
import { InvalidMessageError } from '../errors.js'
import { readAny, readString, writeAny, Writer, type AnyInput, type AnyValue } from './any-codec.js'

const ALGORITHM = 'AES-GCM'
const IV_BYTES = 12
/** AES-GCM appends a 16-byte authentication tag, so shorter ciphertexts cannot be genuine. */
const GCM_TAG_BYTES = 16
const PBKDF2_ITERATIONS = 100_000

const encoder = new TextEncoder()

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  // WebCrypto is missing in insecure browser contexts (plain http:), which deserves a clear message.
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available; a secure context is required')
  return s
}

/**
 * Derives the room key from a password exactly as y-webrtc does: PBKDF2-SHA-256 with 100 000
 * iterations, salted with the room name, giving an AES-GCM-256 key.
 *
 * @param password - The room password shared by all peers.
 * @param roomName - The room name; the same password gives a different key in another room.
 * @returns A non-extractable key usable with {@link encrypt} and {@link decrypt}.
 * @example
 * ```ts
 * import { decrypt, deriveKey, encrypt } from '@diffstream/core/net'
 *
 * const key = await deriveKey('secret', 'auctions')
 * const sealed = await encrypt(new TextEncoder().encode('hello'), key) // what y-webrtc sends
 * console.log(new TextDecoder().decode(await decrypt(sealed, key))) // hello
 * ```
 */
export async function deriveKey(password: string, roomName: string): Promise<CryptoKey> {
  const s = subtle()
  const material = await s.importKey('raw', encoder.encode(password), 'PBKDF2', false, ['deriveKey'])
  return s.deriveKey(
    { name: 'PBKDF2', salt: encoder.encode(roomName), iterations: PBKDF2_ITERATIONS, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
}

/**
 * Encrypts `data` with AES-GCM under a fresh random 12-byte IV. The output is lib0-encoded:
 * varString `'AES-GCM'`, varUint8Array IV, varUint8Array ciphertext (with tag), as y-webrtc sends.
 *
 * @param data - The plaintext.
 * @param key - A key from {@link deriveKey}.
 * @returns The encoded envelope, readable by {@link decrypt} and by y-webrtc's `decrypt`.
 */
export async function encrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
  // Copy: WebCrypto refuses views over SharedArrayBuffer, and callers may hand us any view.
  const cipher = new Uint8Array(await subtle().encrypt({ name: ALGORITHM, iv }, key, new Uint8Array(data)))
  const w = new Writer(cipher.length + 32)
  w.varString(ALGORITHM)
  w.varBytes(iv)
  w.varBytes(cipher)
  return w.finish()
}

/**
 * Decrypts an envelope made by {@link encrypt} or by y-webrtc.
 *
 * @param data - The envelope, untrusted.
 * @param key - A key from {@link deriveKey}.
 * @returns The plaintext.
 * @throws {@link InvalidMessageError} (as a rejection) when the envelope is malformed or fails
 *   authentication, i.e. a wrong password or tampered bytes; the WebCrypto error is its `cause`.
 */
export async function decrypt(data: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const r = new ByteReader(data)
  const algorithm = readString(r)
  if (algorithm !== ALGORITHM) r.fail(`unknown encryption algorithm ${JSON.stringify(algorithm.slice(0, 32))}`)
  const iv = r.varBytes()
  if (iv.length !== IV_BYTES) r.fail(`AES-GCM IV of ${iv.length} bytes, expected ${IV_BYTES}`)
  const cipher = r.varBytes()
  if (cipher.length < GCM_TAG_BYTES) r.fail(`ciphertext of ${cipher.length} bytes is shorter than the tag`)
  if (r.remaining !== 0) r.fail('trailing bytes after ciphertext')
  let plain: ArrayBuffer
  try {
    // slice(): WebCrypto wants views over a plain ArrayBuffer, not subarrays of an arbitrary one.
    plain = await subtle().decrypt({ name: ALGORITHM, iv: iv.slice() }, key, cipher.slice())
  } catch (err) {
    // Only an authentication failure is the sender's fault; a wrong key type is our bug and must surface.
    if (isOperationError(err)) {
      throw new InvalidMessageError('decryption failed: wrong room password or tampered message', { cause: err })
    }
    throw err
  }
  return new Uint8Array(plain)
}

function isOperationError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'OperationError'
}

/**
 * Encrypts a signaling message the way y-webrtc's `encryptJson` does: lib0 `writeAny`, then
 * {@link encrypt}.
 *
 * @param value - The message, usually a plain object.
 * @param key - A key from {@link deriveKey}.
 * @throws {@link UnsupportedValueError} when `value` holds something `writeAny` cannot carry.
 */
export async function encryptJson(value: AnyInput, key: CryptoKey): Promise<Uint8Array> {
  return encrypt(writeAny(value), key)
}

/**
 * Decrypts a signaling message made by {@link encryptJson} or y-webrtc's `encryptJson`.
 *
 * @param data - The envelope, untrusted.
 * @param key - A key from {@link deriveKey}.
 * @throws {@link InvalidMessageError} (as a rejection) on any malformed, unauthenticated or
 *   undecodable input.
 */
export async function decryptJson(data: Uint8Array, key: CryptoKey): Promise<AnyValue> {
  return readAny(await decrypt(data, key))
}

// --- lib0 writeAny / readAny -------------------------------------------------------------------
