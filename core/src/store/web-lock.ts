/**
 * Exclusive Web Locks: what keeps a second tab (or a second open in this one) off an IndexedDB store.
 * Nothing here may import Node modules: this file is part of the browser bundle.
 */
import { StoreLockedError } from '../errors.js'

/** Holds the Web Lock `lockName` until the returned function is called; throws if another holder has it. */
export async function takeWebLock(locks: LockManager, lockName: string, name: string): Promise<() => void> {
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  const granted = await new Promise<boolean>((resolve, reject) => {
    locks
      .request(lockName, { ifAvailable: true }, (lock) => {
        resolve(lock !== null)
        // The lock is held as long as this promise is pending.
        return lock ? held : undefined
      })
      .catch(reject)
  })
  if (!granted) throw new StoreLockedError(`the IndexedDB store "${name}" is open in another tab or context`)
  return release
}
