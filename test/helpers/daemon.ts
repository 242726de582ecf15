// Debian's coturn (`turnserver`) and `redis-server` as child processes of a test, on ports and in
// directories the test chose, logging to the test. Both are real: nothing here imitates them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitUntil } from './free-port.js'

const running = new Set<ChildProcess>()
let hooked = false

/** A server process with its output so far. */
export interface Daemon {
  readonly process: ChildProcess
  /** stdout and stderr, interleaved. */
  output(): string
  /** Sends `signal` and waits for the exit (SIGKILL after 5 s). */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Whether `command` is installed; the reason to skip a test when it is not. In CI (which installs
 * them, see .ci/run) a missing one must fail the test, not skip it: there it returns false.
 */
export function missing(command: string): string | false {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0
  if (found || process.env.CI) return false
  return `${command} is not installed (Debian package ${command === 'turnserver' ? 'coturn' : command})`
}

function start(command: string[], ready: (output: string) => boolean, what: string): Promise<Daemon> {
  const [cmd, ...args] = command
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  if (!hooked) {
    hooked = true
    process.once('exit', () => {
      for (const p of running) p.kill('SIGKILL')
    })
  }
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d))
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child)
      resolve()
    }),
  )
  const daemon: Daemon = {
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal)
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      }
    },
  }
  return waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}):\n${output.slice(-3000)}`)
      return ready(output)
    },
    10_000,
    `${what} to start; output so far:\n${output.slice(-3000)}`,
  ).then(
    () => daemon,
    async (err: unknown) => {
      await daemon.stop('SIGKILL')
      throw err
    },
  )
}

/** redis-server on `port` (127.0.0.1 unless `host`), keeping nothing on disk. */
export function startRedis(port: number, host = '127.0.0.1', wrap: string[] = []): Promise<Daemon> {
  return start(
    [...wrap, 'redis-server', '--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no'],
    (out) => /Ready to accept connections/.test(out),
    'redis-server',
  )
}

export interface CoturnOptions {
  /** Listening and relay address. Default 127.0.0.1. */
  ip?: string
  port: number
  /** static-auth-secret (use-auth-secret). */
  secret: string
  /** Allow relaying to loopback peers (needed when the peers are on 127.0.0.1). Default true. */
  allowLoopback?: boolean
  /** A command that runs turnserver, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  wrap?: string[]
}

/**
 * coturn with `use-auth-secret`, verbose so that its log shows each allocation, with its
 * relay ports in a range of 200 above `port` + 1000.
 */
export async function startCoturn(options: CoturnOptions): Promise<Daemon> {
  const ip = options.ip ?? '127.0.0.1'
  const dir = mkdtempSync(join(tmpdir(), 'ds-coturn-'))
  const minPort = options.port + 1000
  const args = [
    'turnserver',
    '-n',
    '-v',
    `--listening-ip=${ip}`,
    `--relay-ip=${ip}`,
    `--listening-port=${options.port}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 200}`,
    '--use-auth-secret',
    `--static-auth-secret=${options.secret}`,
    '--realm=diffstream.test',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
  ]
  if (options.allowLoopback ?? true) args.push('--allow-loopback-peers')
  const daemon = await start(
    [...(options.wrap ?? []), ...args],
    (out) => /UDP listener opened on/.test(out) && /Total General servers/.test(out),
    'turnserver',
  )
  const stop = daemon.stop
  return {
    ...daemon,
    async stop(signal) {
      await stop(signal)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
