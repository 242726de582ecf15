import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_SNAPSHOT_BYTES,
  MAX_LIMIT_BYTES,
  type StoreOptions,
  type SyncMode,
} from './types.js'

/** {@link StoreOptions} with every default filled in and checked. */
export interface ResolvedStoreOptions {
  sync: SyncMode
  maxFrameBytes: number
  maxSnapshotBytes: number
}

/** Fills in defaults; a nonsensical option is a programming error, so it throws a TypeError/RangeError. */
export function resolveStoreOptions(options: StoreOptions = {}): ResolvedStoreOptions {
  const sync = options.sync ?? 'group'
  if (sync !== 'group' && sync !== 'each') throw new TypeError(`sync must be 'group' or 'each', not ${String(sync)}`)
  return {
    sync,
    maxFrameBytes: limit('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES),
    maxSnapshotBytes: limit('maxSnapshotBytes', options.maxSnapshotBytes, DEFAULT_MAX_SNAPSHOT_BYTES),
  }
}

function limit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_LIMIT_BYTES) {
    throw new RangeError(`${name} must be an integer from 0 to ${MAX_LIMIT_BYTES}, not ${value}`)
  }
  return value
}
