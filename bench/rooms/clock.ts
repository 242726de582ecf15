/*
 * The clock every rooms-suite timestamp uses, in every process: `process.hrtime`, which libuv reads
 * from CLOCK_MONOTONIC. On Linux that clock counts from boot for the whole system (one clock per
 * time namespace, and forked children share their parent's), so a stamp taken in the producer
 * process and one taken in the consumer process are directly comparable: their difference is a
 * one-way latency, with no offset to estimate. It is not a wall clock, so NTP steps do not move it.
 * The suite checks this at run time (`clockCheck` in rooms-suite.ts): a child's stamp must fall
 * between the parent's stamps before and after the IPC round trip that carried it.
 */

/** Microseconds on the system-wide monotonic clock (float; sub-µs resolution for decades of uptime). */
export function nowUs(): number {
  const [s, ns] = process.hrtime()
  return s * 1e6 + ns / 1e3
}

/** `performance.timeOrigin + performance.now()` in µs: the per-process wall-clock-anchored alternative. */
export function wallUs(): number {
  return (performance.timeOrigin + performance.now()) * 1e3
}
