/**
 * Finds the Electron binary the way `npm start` needs it: `electron` is an optional dependency of
 * the app, and its install script downloads the binary, which fails on machines without access to
 * the download. Either case sends `npm start` to web mode, with the reason.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

export type ElectronLookup = { found: true; path: string; version: string } | { found: false; reason: string }

export function findElectron(appDir: string): ElectronLookup {
  const require = createRequire(join(appDir, 'package.json'))
  let version: string
  try {
    version = (require('electron/package.json') as { version: string }).version
  } catch {
    return { found: false, reason: 'the optional dependency "electron" is not installed' }
  }
  let binary: unknown
  try {
    // The package's main module returns the binary's path, or throws when the download failed.
    binary = require('electron')
  } catch (err) {
    return { found: false, reason: `electron ${version} is installed without its binary (${firstLine(err)})` }
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    return { found: false, reason: `electron ${version} is installed but its binary is missing` }
  }
  return { found: true, path: binary, version }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim()
}
