import { InvalidMessageError } from '../errors.js'

/** btoa/atob take "binary strings"; building them in slices keeps String.fromCharCode's argument list small. */
const BASE64_SLICE = 0x8000
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/

/**
 * Standard base64 with padding, as lib0's `buffer.toBase64` produces for y-webrtc's `data` field.
 *
 * @param bytes - The bytes to encode.
 * @returns The base64 text.
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += BASE64_SLICE) {
    binary += String.fromCharCode(...bytes.subarray(i, i + BASE64_SLICE))
  }
  return btoa(binary)
}

/**
 * Decodes standard base64 (padding optional, as `atob` allows; no whitespace or URL alphabet).
 *
 * @param text - Untrusted base64 text.
 * @returns The decoded bytes.
 * @throws {@link InvalidMessageError} when `text` is not a string or not valid base64.
 */
export function fromBase64(text: string): Uint8Array {
  if (typeof text !== 'string' || !BASE64_CHARS.test(text)) {
    throw new InvalidMessageError('invalid base64')
  }
  let binary: string
  try {
    binary = atob(text)
  } catch (err) {
    throw new InvalidMessageError('invalid base64', { cause: err })
  }
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
