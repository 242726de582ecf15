import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first so
 * the comparison also takes the same time whatever the presented token's length (timingSafeEqual
 * alone needs equal lengths, and an early length check would leak the secret's length).
 */
export function tokenMatches(expected: string, presented: string | null): boolean {
  if (presented === null) return false
  return timingSafeEqual(digest(expected), digest(presented))
}

/** Reads the `token` query parameter of an upgrade request's URL (null when absent). */
export function tokenFromUrl(requestUrl: string | undefined): string | null {
  // The base only makes the path-relative request URL parseable; its host is never used.
  try {
    return new URL(requestUrl ?? '/', 'http://localhost').searchParams.get('token')
  } catch {
    return null
  }
}
