#!/usr/bin/env node
// The `diffstream-signaling` command. Committed as plain JavaScript so that npm can link it at
// install time: in a fresh clone of the repository dist/ does not exist yet, so this builds it
// first (and again when src/ is newer), then runs dist/cli.js. A published package ships dist/.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const pkg = fileURLToPath(new URL('..', import.meta.url))
const cli = join(pkg, 'dist', 'cli.js')

function mtime(path) {
  try {
    const stat = statSync(path)
    if (!stat.isDirectory()) return stat.mtimeMs
    return Math.max(0, ...readdirSync(path).map((name) => mtime(join(path, name))))
  } catch {
    return 0
  }
}

function log(level, event, fields) {
  // The same one-JSON-object-per-line format as the server's own log on stderr.
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`)
}

function tscPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc')
  } catch {
    return null
  }
}

const built = mtime(cli)
if (built === 0 || mtime(join(pkg, 'src')) > built) {
  const tsc = tscPath()
  if (tsc === null) {
    if (built === 0) {
      log('error', 'fatal', { message: `${cli} is missing and TypeScript is not installed to build it` })
      process.exit(1)
    }
  } else {
    log('info', 'build', { message: 'building the signaling server (first run or sources changed)' })
    const result = spawnSync(process.execPath, [tsc, '-p', join(pkg, 'tsconfig.json')], { encoding: 'utf8' })
    if (result.status !== 0) {
      log('error', 'fatal', { message: `building the signaling server failed: ${result.stdout}${result.stderr}` })
      process.exit(1)
    }
  }
}
await import(pathToFileURL(cli).href)
