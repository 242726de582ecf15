#!/usr/bin/env node
// `npm run dist`: packages the built app (app/dist, see app/build.ts) with electron-builder, using
// electron-builder.yml at the repository root. electron-builder downloads the Electron release of
// the same version as the installed `electron` package (or ELECTRON_VERSION) for the target
// platform. Extra arguments go to electron-builder (e.g. `npm run dist -- --linux AppImage`, `--dir`).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const appDir = dirname(dirname(fileURLToPath(import.meta.url)))
const root = dirname(appDir)
const require = createRequire(join(appDir, 'package.json'))

let version = process.env.ELECTRON_VERSION
if (!version) {
  try {
    version = require('electron/package.json').version
  } catch {
    console.error(
      'npm run dist: the optional dependency "electron" is not installed, so the Electron version to package is unknown.\n' +
        'Install dependencies on a machine that can download Electron, or set ELECTRON_VERSION (e.g. ELECTRON_VERSION=45.5.0).',
    )
    process.exit(1)
  }
}
if (!existsSync(join(appDir, 'dist', 'package.json'))) {
  console.error('npm run dist: app/dist is not built; run npm run build first')
  process.exit(1)
}
const cli = require.resolve('electron-builder/cli.js')
const result = spawnSync(
  process.execPath,
  [
    cli,
    '--config',
    'electron-builder.yml',
    '--projectDir',
    root,
    `-c.electronVersion=${version}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)
