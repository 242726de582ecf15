import { InvalidMessageError } from '../errors.js'
import { fromBase64, toBase64 } from './base64.js'

/** An Ed25519 key pair, as text: raw 32-byte public key and PKCS#8 private key, both base64url. */
export interface WriterKeyPair {
  /** The raw 32-byte Ed25519 public key, base64url without padding: what a room's `writers` lists. */
  publicKey: string
  /** The PKCS#8 private key, base64url without padding. Keep it secret. */
  privateKey: string
}

/** Length of a raw Ed25519 public key. */
export const PUBLIC_KEY_BYTES = 32
/** Length of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64

const ED25519 = { name: 'Ed25519' } as const

/** WebCrypto's types want bytes over a plain ArrayBuffer; a copy makes sure of it. */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes)

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available')
  return s
}

/** base64url without padding, as keys travel in invites and options. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Decodes base64url (padding optional); throws `InvalidMessageError` on anything else. */
export function fromBase64Url(text: string): Uint8Array {
  if (typeof text !== 'string' || /[+/]/.test(text)) throw new InvalidMessageError('invalid base64url')
  return fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'))
}

/**
 * Makes a new writer key pair with WebCrypto (Node 20 and browsers).
 *
 * @example
 * ```ts
 * import { createWriterKey, joinRoom } from '@diffstream/core'
 *
 * const key = await createWriterKey()
 * // only peers whose key is listed write; the others are read-only everywhere
 * const room = joinRoom('auctions', { password: 'secret', writers: [key.publicKey], writerKey: key })
 * await room.close()
 * ```
 */
export async function createWriterKey(): Promise<WriterKeyPair> {
  const pair = (await subtle().generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair
  const pub = new Uint8Array(await subtle().exportKey('raw', pair.publicKey))
  const priv = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey))
  return { publicKey: toBase64Url(pub), privateKey: toBase64Url(priv) }
}

/** Decodes a listed public key; throws `InvalidMessageError` unless it is 32 bytes of base64url. */
export function publicKeyBytes(publicKey: string): Uint8Array {
  const bytes = fromBase64Url(publicKey)
  if (bytes.length !== PUBLIC_KEY_BYTES) throw new InvalidMessageError(`a writer key of ${bytes.length} bytes, not 32`)
  return bytes
}

/** Imports a raw public key for verifying. */
export function importPublicKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', own(raw), ED25519, false, ['verify'])
}

/** Imports a key pair's private key for signing. */
export function importPrivateKey(pair: WriterKeyPair): Promise<CryptoKey> {
  return subtle().importKey('pkcs8', own(fromBase64Url(pair.privateKey)), ED25519, false, ['sign'])
}

export async function sign(key: CryptoKey, bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign(ED25519, key, own(bytes)))
}

export function verify(key: CryptoKey, signature: Uint8Array, bytes: Uint8Array): Promise<boolean> {
  return subtle().verify(ED25519, key, own(signature), own(bytes))
}
