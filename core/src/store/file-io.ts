/// <reference types="node" />
/**
 * The few file operations durability rests on, in one place: write everything, flush a file, flush
 * a directory (so that a rename or a new file survives a power cut), read a file that may be absent.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises'

/** Writes all of `buffers` at `position`, looping over short writes (writev may stop at IOV_MAX). */
export async function writeAll(handle: FileHandle, buffers: readonly Uint8Array[], position: number): Promise<number> {
  let pending = buffers.filter((b) => b.length > 0)
  let at = position
  while (pending.length > 0) {
    const chunk = pending.slice(0, 1024)
    const { bytesWritten } = await handle.writev(chunk, at)
    if (bytesWritten <= 0) throw new Error(`writev wrote nothing at offset ${at}`)
    at += bytesWritten
    let skip = bytesWritten
    const rest: Uint8Array[] = []
    for (const b of pending) {
      if (skip >= b.length) skip -= b.length
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b)
        skip = 0
      }
    }
    pending = rest
  }
  return at - position
}

/** Creates (or truncates) `path`, writes `buffers` and flushes them; the caller renames it into place. */
export async function writeFileDurably(path: string, buffers: readonly Uint8Array[]): Promise<void> {
  const handle = await open(path, 'w', 0o644)
  try {
    await writeAll(handle, buffers, 0)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Flushes a directory's entries, making creates, renames and unlinks in it durable. Windows cannot
 * open a directory for this (and NTFS journals renames itself), so EISDIR/EPERM there are ignored.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle
  try {
    handle = await open(dir, 'r')
  } catch (error) {
    if (process.platform === 'win32') return
    throw error
  }
  try {
    await handle.sync()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (!(process.platform === 'win32' || code === 'EINVAL')) throw error
  } finally {
    await handle.close()
  }
}

/** The bytes of `path`, or null when it does not exist. */
export async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    const buffer = await readFile(path)
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code
}
