/**
 * Remembers strings seen in the last `ttlMs` (at most `capacity` of them), by a 53-bit hash, so
 * that a signaling message arriving twice (through two servers, or through Redis and directly)
 * is handled once. A false "seen" needs a hash collision among the last few hundred messages.
 */
export class RecentSet {
  private readonly seen = new Map<number, number>()

  constructor(
    private readonly ttlMs = 30_000,
    private readonly capacity = 2048,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records `text`; returns true when it was already seen within the window. */
  check(text: string): boolean {
    const t = this.now()
    const key = hash53(text)
    const at = this.seen.get(key)
    if (at !== undefined && t - at < this.ttlMs) return true
    // Re-inserted so that the Map's order stays oldest first, for pruning.
    this.seen.delete(key)
    this.seen.set(key, t)
    for (const [k, when] of this.seen) {
      if (this.seen.size <= this.capacity && t - when < this.ttlMs) break
      this.seen.delete(k)
    }
    return false
  }
}

/** cyrb53: a fast 53-bit string hash (not cryptographic; duplicates here are not adversarial). */
function hash53(text: string): number {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}
