// Starts the real signaling CLI (signaling/dist/cli.js) as a child process, for any test that needs
// a signaling server: the signaling suite itself and the WebRTC room tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Absolute path of the built CLI. */
export const SIGNALING_CLI = join(root, 'signaling', 'dist', 'cli.js')

/** One parsed JSON log line of the server's stderr. */
export type SignalingLogEntry = Record<string, unknown> & { event?: string; level?: string }

export interface SignalingProcessOptions {
  /** Extra CLI arguments, after `--port 0 --host 127.0.0.1` (so they may override those). */
  args?: string[]
  /**
   * Extra environment. The PORT, HOST, TOKEN and LOG_LEVEL the test runner happens to have are
   * not passed on, so they cannot change a test's server; set them here to test them.
   */
  env?: Record<string, string>
  /** How long to wait for the listening line. Default 10 s. */
  startTimeoutMs?: number
  /** A command that runs node, e.g. `['ip', 'netns', 'exec', 'ns1']` for a network namespace. */
  wrap?: string[]
  /** The interface to listen on. Default 127.0.0.1. */
  host?: string
  /** The port. Default 0 (a free one). */
  port?: number
}

export interface SignalingProcess {
  /** `ws://127.0.0.1:PORT` as printed by the server. */
  url: string
  port: number
  /** `http://HOST:PORT`, for `/health` and `/ice`. */
  httpUrl: string
  process: ChildProcess
  /** Everything the server wrote to stderr so far. */
  stderr(): string
  /** The JSON log entries written so far (non-JSON stderr lines are skipped). */
  logs(): SignalingLogEntry[]
  /** Resolves with the first log entry, past or future, that matches. */
  waitForLog(match: (entry: SignalingLogEntry) => boolean, timeoutMs?: number): Promise<SignalingLogEntry>
  /** Sends `signal` (default SIGTERM), waits for the exit (SIGKILL after `timeoutMs`), returns how it ended. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

function newestMtime(dir: string): number {
  let newest = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const stat = statSync(path)
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs)
  }
  return newest
}

/**
 * Builds signaling/dist when it is missing or older than signaling/src, so `node test/run.mjs`
 * never runs a stale CLI. Synchronous, and a no-op when the build is current.
 */
export function ensureSignalingBuilt(): void {
  let built = 0
  try {
    built = statSync(SIGNALING_CLI).mtimeMs
  } catch {
    built = 0
  }
  if (built >= newestMtime(join(root, 'signaling', 'src'))) return
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'signaling', 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`building signaling failed:\n${result.stdout}${result.stderr}`)
}

/** Starts `node signaling/dist/cli.js --port 0 --host 127.0.0.1 ...args` and waits until it listens. */
export async function startSignalingProcess(options: SignalingProcessOptions = {}): Promise<SignalingProcess> {
  ensureSignalingBuilt()
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['PORT', 'HOST', 'TOKEN', 'LOG_LEVEL']) delete env[name]
  Object.assign(env, options.env)

  const host = options.host ?? '127.0.0.1'
  const [command, ...prefix] = [...(options.wrap ?? []), process.execPath]
  const child = spawn(
    command!,
    [...prefix, SIGNALING_CLI, '--port', String(options.port ?? 0), '--host', host, ...(options.args ?? [])],
    {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  running.add(child)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    // A failed test must not leave servers running after the test process is gone.
    process.once('exit', () => {
      for (const proc of running) proc.kill('SIGKILL')
    })
  }

  let stdout = ''
  let stderr = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  })
  const logWaiters = new Set<() => void>()
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    for (const wake of logWaiters) wake()
  })

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`signaling server did not print its address in time\nstderr:\n${stderr}`))
    }, options.startTimeoutMs ?? 10_000)
    const check = (): void => {
      const line = stdout.split('\n')[0]
      const match = stdout.includes('\n') ? /listening on (ws:\/\/\S+)/.exec(line ?? '') : null
      if (!match?.[1]) return
      clearTimeout(timer)
      resolve(match[1])
    }
    child.stdout.on('data', check)
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`signaling server exited (code ${code}, signal ${signal}) before listening\nstderr:\n${stderr}`))
    })
  })
  const port = Number(new URL(url).port)

  const logs = (): SignalingLogEntry[] =>
    stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as SignalingLogEntry]
        } catch {
          return []
        }
      })

  return {
    url,
    port,
    httpUrl: `http://${host}:${port}`,
    process: child,
    stderr: () => stderr,
    logs,
    waitForLog(match, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          const found = logs().find(match)
          if (!found) return
          logWaiters.delete(wake)
          clearTimeout(timer)
          resolve(found)
        }
        const timer = setTimeout(() => {
          logWaiters.delete(wake)
          reject(new Error(`no matching log entry within ${timeoutMs} ms\nstderr:\n${stderr}`))
        }, timeoutMs)
        logWaiters.add(wake)
        wake()
      })
    },
    async stop(signal = 'SIGTERM', timeoutMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal)
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
        try {
          return await exited
        } finally {
          clearTimeout(timer)
        }
      }
      return exited
    },
  }
}
