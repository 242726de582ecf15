/** Appends lib0's varuint encoding of a non-negative safe integer (7 bits a byte, low first). */
export function pushVarUint(out: number[], n: number): void {
  while (n > 0x7f) {
    out.push(0x80 | (n % 128))
    n = Math.floor(n / 128)
  }
  out.push(n)
}

/** Joins byte runs (plain number arrays for headers, Uint8Arrays for payloads) into one array. */
export function concatBytes(parts: ReadonlyArray<ArrayLike<number>>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Writes the varuint of `n` into `buf` at `pos`; returns the position after it. */
export function writeVarUintAt(buf: Uint8Array, pos: number, n: number): number {
  while (n > 0x7f) {
    buf[pos++] = 0x80 | (n % 128)
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}
