// The app's web-mode server for browser tests: built from source, started as `npm run web` starts it
// (app/dist/launch.js --web, with its embedded signaling server) on free loopback ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureSignalingBuilt } from './signaling-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

export interface WebAppServer {
  /** The app's address, e.g. `http://127.0.0.1:41234/`. */
  url: string
  /** What the server printed, for failure messages. */
  output(): string
  close(): Promise<void>
}

export async function startWebAppServer(): Promise<WebAppServer> {
  ensureSignalingBuilt()
  // The app's build is esbuild only (well under a second), so a test never runs a stale renderer.
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'app/build.ts'], { cwd: root, encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`building the app failed:\n${built.stdout}${built.stderr}`)
  const server: ChildProcess = spawn(
    process.execPath,
    ['app/dist/launch.js', '--web', '--port', '0', '--signaling-port', '0', '--host', '127.0.0.1'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  server.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const close = async (): Promise<void> => {
    if (server.exitCode !== null || server.signalCode !== null) return
    const exited = new Promise((r) => server.once('exit', r))
    server.kill('SIGTERM')
    await exited
  }
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the web-mode server did not start:\n${output}`)), 15_000)
      createInterface({ input: server.stdout! }).on('line', (line) => {
        output += `${line}\n`
        const m = /^DiffStream web mode: (http:\/\/\S+)$/.exec(line)
        if (m) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
      server.once('exit', (code) => reject(new Error(`the web-mode server exited with ${code}:\n${output}`)))
    })
    return { url, output: () => output, close }
  } catch (err) {
    await close()
    throw err
  }
}
