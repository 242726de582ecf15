/**
 * Finds the Electron binary the way `npm start` needs it: `electron` is an optional dependency of
 * the app, so npm leaves it out where it cannot be installed (its `engines` ask for a newer Node
 * than this one), and its install script downloads the binary, which fails on machines without
 * access to the download. Either case sends `npm start` to web mode, with the reason.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export type ElectronLookup = { found: true; path: string; version: string } | { found: false; reason: string }

export function findElectron(appDir: string, nodeVersion: string = process.versions.node): ElectronLookup {
  const require = createRequire(join(appDir, 'package.json'))
  let version: string
  try {
    version = (require('electron/package.json') as { version: string }).version
  } catch {
    return { found: false, reason: whyNotInstalled(appDir, nodeVersion) }
  }
  let binary: unknown
  try {
    // The package's main module returns the binary's path, or throws when the download failed.
    binary = require('electron')
  } catch (err) {
    return {
      found: false,
      reason:
        `electron ${version} is installed but its binary was not downloaded (${firstLine(err)}); ` +
        'run npm install again where the download is reachable',
    }
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    return { found: false, reason: `electron ${version} is installed but its binary is missing` }
  }
  return { found: true, path: binary, version }
}

/** What the lockfile says npm would install as `electron`: its version and the Node it needs. */
export function lockedElectron(appDir: string): { version: string; node: string | null } | null {
  for (let dir = appDir; ; dir = dirname(dir)) {
    const lockfile = join(dir, 'package-lock.json')
    if (existsSync(lockfile)) {
      try {
        const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as {
          packages?: Record<string, { version?: string; engines?: { node?: string } }>
        }
        const entry =
          lock.packages?.['node_modules/electron'] ??
          lock.packages?.[`${appDir.slice(dir.length + 1)}/node_modules/electron`]
        if (entry?.version) return { version: entry.version, node: entry.engines?.node ?? null }
      } catch {
        // an unreadable lockfile tells nothing
      }
      return null
    }
    if (dirname(dir) === dir) return null
  }
}

/** The lowest Node version a `>= x.y.z` range allows, or null for ranges of another form. */
export function minimumNode(range: string): number[] | null {
  const m = /^\s*>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(range)
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : null
}

function below(version: string, minimum: number[]): boolean {
  const v = version.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const a = v[i] ?? 0
    const b = minimum[i] ?? 0
    if (a !== b) return a < b
  }
  return false
}

function whyNotInstalled(appDir: string, nodeVersion: string): string {
  const locked = lockedElectron(appDir)
  const minimum = locked?.node ? minimumNode(locked.node) : null
  if (locked && minimum && below(nodeVersion, minimum)) {
    return (
      `electron ${locked.version} needs Node ${minimum.join('.')} or newer and this is Node ${nodeVersion}, ` +
      'so npm skipped the optional dependency; install a newer Node and run npm install again'
    )
  }
  return 'the optional dependency "electron" is not installed (npm install skipped it or its install failed; run npm install again)'
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim()
}
