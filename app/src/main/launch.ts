/**
 * `npm start` / `npm run web`: opens the Electron app when its binary is installed, otherwise (or
 * with --web) serves the same renderer in web mode on http://localhost:PORT with the embedded
 * signaling server. Runs from the build (`app/dist/launch.js`).
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findElectron } from './electron-binary.js'
import { parseLaunchArgs, USAGE, UsageError, type LaunchOptions } from './options.js'
import { startAppServer } from './server.js'

function appVersion(appDir: string): string {
  try {
    return (JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

async function serveWeb(distDir: string, options: LaunchOptions, why: string | null): Promise<void> {
  const rendererDir = join(distDir, 'renderer')
  if (!existsSync(join(rendererDir, 'index.html'))) {
    console.error(`DiffStream: ${rendererDir} is not built; run npm run build first`)
    process.exit(1)
  }
  const server = await startAppServer({
    rendererDir,
    host: options.host,
    port: options.port,
    signalingPort: options.signalingPort,
    version: appVersion(dirname(distDir)),
    mode: 'web',
  })
  if (why) console.log(`Electron is not available: ${why}. Serving DiffStream in web mode instead.`)
  console.log(`DiffStream web mode: ${server.url}`)
  for (const notice of server.info().notices) console.log(`  note: ${notice}`)
  console.log(`  signaling: ${server.signalingUrl ?? 'none embedded (choose a server in the app)'}`)
  if (options.host === '0.0.0.0' || options.host === '::') {
    for (const lan of server.info().lan) {
      console.log(
        `  on your LAN (${lan.iface}): ${lan.appUrl}${lan.signalingUrl ? `  signaling ${lan.signalingUrl}` : ''}`,
      )
    }
  }
  console.log('Open the address in Chromium, Chrome, Edge or Firefox. Ctrl-C stops.')
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

function runElectron(binary: string, distDir: string, options: LaunchOptions): void {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DIFFSTREAM_PORT: String(options.port),
    DIFFSTREAM_HOST: options.host,
    DIFFSTREAM_SIGNALING_PORT: options.signalingPort === null ? 'none' : String(options.signalingPort),
  }
  // ELECTRON_RUN_AS_NODE left over from a parent would start a plain Node instead of the app.
  delete env.ELECTRON_RUN_AS_NODE
  const child = spawn(binary, [distDir], { stdio: 'inherit', env })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

export async function main(argv: string[], distDir: string): Promise<void> {
  let options: LaunchOptions | 'help'
  try {
    options = parseLaunchArgs(argv, process.env)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    console.error(`DiffStream: ${err.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (options === 'help') return console.log(USAGE)
  if (options.web) return serveWeb(distDir, options, null)
  const electron = findElectron(dirname(distDir))
  if (electron.found) {
    console.log(`DiffStream: opening the Electron app (electron ${electron.version})`)
    return runElectron(electron.path, distDir, options)
  }
  return serveWeb(distDir, options, electron.reason)
}

// The build bundles this file as app/dist/launch.js: its own directory is the dist directory.
const self = realpathSync(fileURLToPath(import.meta.url))
if (process.argv[1] && existsSync(process.argv[1]) && realpathSync(process.argv[1]) === self) {
  main(process.argv.slice(2), dirname(self)).catch((err: unknown) => {
    console.error(`DiffStream: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
}
