/**
 * Writer keys of signed rooms: an Ed25519 key pair made with WebCrypto, kept as text so that it
 * can be stored, passed in an invite and handed to {@link RoomOptions.writerKey}.
 */

/** An Ed25519 key pair, as text: raw 32-byte public key and PKCS#8 private key, both base64url. */
export interface WriterKeyPair {
  /** The raw 32-byte public key, base64url (43 characters). */
  publicKey: string
  /** The PKCS#8 private key, base64url. */
  privateKey: string
}

function base64url(bytes: ArrayBuffer): string {
  let binary = ''
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Makes a new writer key pair with WebCrypto (Node 20 and browsers). */
export async function createWriterKey(): Promise<WriterKeyPair> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) throw new Error('WebCrypto (crypto.subtle) is not available; a secure context is required')
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const [publicKey, privateKey] = await Promise.all([
    subtle.exportKey('raw', pair.publicKey),
    subtle.exportKey('pkcs8', pair.privateKey),
  ])
  return { publicKey: base64url(publicKey), privateKey: base64url(privateKey) }
}
