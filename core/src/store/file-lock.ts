/// <reference types="node" />
/**
 * One writer per store directory, across processes. The lock is a file holding its owner's pid,
 * host and boot id, created atomically: the content is written to a private temporary file first
 * and then hard-linked to the lock name, which fails with EEXIST exactly like O_CREAT|O_EXCL but
 * never shows another process a lock file that is still empty. A lock whose owner is gone (dead
 * pid on this host, or a previous boot) is taken over.
 */
import { randomBytes } from 'node:crypto'
import { link, readFile, realpath, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { StoreLockedError } from '../errors.js'
import { errorCode } from './file-io.js'

export const LOCK_FILE = 'lock'

/** Directories this process holds open: a second open in the same process must fail too. */
const held = new Set<string>()

/** A held lock; `release` is idempotent. */
export interface DirLock {
  readonly path: string
  release(): Promise<void>
}

interface Owner {
  pid: number
  host: string
  boot: string
}

/** Takes the lock of `dir` (which must exist), or throws {@link StoreLockedError}. */
export async function lockDirectory(dir: string): Promise<DirLock> {
  const real = await realpath(dir)
  if (held.has(real)) throw new StoreLockedError(`${dir} is already open in this process`)
  held.add(real)
  const path = join(real, LOCK_FILE)
  const mine = serialize(await self())
  try {
    // A few rounds: each lost race against another opener (or a stale lock just broken) retries once.
    for (let round = 0; round < 4; round++) {
      if (await createExclusive(path, mine)) return handle(real, path, mine)
      const found = await readOwner(path)
      if (found === undefined) continue // released in between: try again
      const why = await staleReason(found.owner)
      if (why === null) {
        throw new StoreLockedError(
          `${dir} is locked by ${describe(found.owner)}; close it there first (or delete ${path} if that process is gone)`,
        )
      }
      await breakLock(path, found.raw)
    }
    throw new StoreLockedError(`${dir}: could not take the lock (other processes keep racing for it)`)
  } catch (error) {
    held.delete(real)
    throw error
  }
}

function handle(real: string, path: string, mine: string): DirLock {
  let released: Promise<void> | null = null
  return {
    path,
    release: () =>
      (released ??= (async () => {
        try {
          // Only our own lock: if it was (wrongly) broken and retaken, the new owner keeps it.
          if ((await readOwner(path))?.raw === mine) await unlink(path)
        } catch (error) {
          if (errorCode(error) !== 'ENOENT') throw error
        } finally {
          held.delete(real)
        }
      })()),
  }
}

/** True if `path` was created holding `content`; false if it already exists. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`
  await writeFile(temp, content, { flag: 'wx', mode: 0o644 })
  try {
    await link(temp, path)
    return true
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false
    throw error
  } finally {
    await unlink(temp).catch(() => undefined)
  }
}

/**
 * Removes a stale lock whose content is `raw`, under a second lock (`lock.break`) so that two
 * processes breaking the same stale lock cannot remove the fresh lock one of them just took.
 */
async function breakLock(path: string, raw: string): Promise<void> {
  const guard = `${path}.break`
  const mine = serialize(await self())
  if (!(await createExclusive(guard, mine))) {
    const other = await readOwner(guard)
    if (other && (await staleReason(other.owner)) === null) return // someone else is breaking it; retry
    await unlink(guard).catch(() => undefined) // a breaker that died mid-way
    return
  }
  try {
    if ((await readOwner(path))?.raw === raw) await unlink(path).catch(() => undefined)
  } finally {
    await unlink(guard).catch(() => undefined)
  }
}

/** The owner recorded in a lock file; undefined if there is no such file. Unreadable content is a stale owner. */
async function readOwner(path: string): Promise<{ raw: string; owner: Owner | null } | undefined> {
  let raw: string
  try {
    raw = await readFile(path, 'utf8')
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined
    throw error
  }
  return { raw, owner: parse(raw) }
}

/** Why the owner is gone, or null while it may still hold the lock. */
async function staleReason(owner: Owner | null): Promise<string | null> {
  // Content is complete the moment the lock exists (see the module comment), so garbage means damage.
  if (owner === null) return 'unreadable lock file'
  const me = await self()
  if (owner.host !== me.host) return null // cannot see processes on another machine
  if (owner.boot && me.boot && owner.boot !== me.boot) return 'written before the last reboot'
  // Our own pid, but this process does not hold the directory (checked first): a previous process
  // that had the same pid, common in containers where the app is always pid 1.
  if (owner.pid === process.pid) return 'left by an earlier process with this pid'
  try {
    process.kill(owner.pid, 0)
    return null
  } catch (error) {
    return errorCode(error) === 'ESRCH' ? `process ${owner.pid} is gone` : null // EPERM: alive, not ours
  }
}

let me: Promise<Owner> | null = null
function self(): Promise<Owner> {
  return (me ??= (async () => {
    let boot = ''
    try {
      boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()
    } catch {
      // not Linux: the pid check alone
    }
    return { pid: process.pid, host: hostname(), boot }
  })())
}

function serialize(o: Owner): string {
  return `${JSON.stringify({ pid: o.pid, host: o.host, boot: o.boot })}\n`
}

function parse(raw: string): Owner | null {
  try {
    const v = JSON.parse(raw) as Partial<Owner> | null
    if (v && Number.isSafeInteger(v.pid) && (v.pid as number) > 0 && typeof v.host === 'string') {
      return { pid: v.pid as number, host: v.host, boot: typeof v.boot === 'string' ? v.boot : '' }
    }
  } catch {
    // fall through
  }
  return null
}

function describe(o: Owner | null): string {
  return o ? `process ${o.pid} on ${o.host}` : 'an unknown process'
}
