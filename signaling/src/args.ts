import { parseArgs } from 'node:util'
import { resolveIce } from './ice.js'
import { isLogLevel } from './log.js'
import type { SignalingLimits, SignalingServerOptions } from './types.js'

/** Thrown for command-line input that cannot be used; the CLI prints it with the usage text. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** What the command line asks for. */
export type CliCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: SignalingServerOptions }

export const USAGE = `Usage: diffstream-signaling [options]

A y-webrtc compatible signaling server with validation and limits.

Options:
  --port <n>                 TCP port, 0 picks a free one (env PORT, default 4444)
  --host <addr>              interface to listen on (env HOST, default 127.0.0.1)
  --token <secret>           require ?token=<secret> on connect (env TOKEN; prefer the env,
                             command lines are visible to other local users)
  --max-payload <bytes>      largest frame (default 65536)
  --max-topics <n>           topics per connection (default 100)
  --max-topic-length <n>     characters per topic name (default 256)
  --max-subscribers <n>      subscribers per topic (default 256)
  --rate <n>                 sustained frames per second per connection (default 100)
  --burst <n>                frames per connection in a burst (default 400)
  --max-connections <n>      open connections in total (default 1000)
  --max-buffered <bytes>     send buffer per connection before it is dropped (default 4194304)
  --heartbeat-interval <ms>  ping interval; a client missing one ping is dropped (default 30000)
  --stun <url>               a STUN server handed out by GET /ice, e.g. stun:stun.example.com:3478
                             (repeatable)
  --turn-url <url>           a TURN server handed out by GET /ice with short-lived credentials,
                             e.g. turn:turn.example.com:3478 or turns:turn.example.com:5349
                             (repeatable; needs --turn-secret)
  --turn-secret <secret>     coturn's static-auth-secret (use-auth-secret) (env TURN_SECRET;
                             prefer the env)
  --turn-ttl <seconds>       lifetime of the TURN credentials (default 86400)
  --redis <url>              share topics with other instances through Redis pub/sub,
                             e.g. redis://127.0.0.1:6379 (env REDIS_URL)
  --log-level <level>        debug, info, warn, error or silent (env LOG_LEVEL, default info)
  --quiet                    same as --log-level silent
  -h, --help                 show this help
  --version                  show the version

Prints "diffstream-signaling listening on ws://HOST:PORT" as its first line on stdout,
logs one JSON object per line on stderr, and exits 0 on SIGTERM or SIGINT.`

const LIMIT_FLAGS: Record<string, keyof SignalingLimits> = {
  'max-payload': 'maxPayload',
  'max-topics': 'maxTopicsPerConnection',
  'max-topic-length': 'maxTopicLength',
  'max-subscribers': 'maxSubscribersPerTopic',
  rate: 'messagesPerSecond',
  burst: 'messageBurst',
  'max-connections': 'maxConnections',
  'max-buffered': 'maxBufferedAmount',
}

function number(flag: string, text: string, { allowZero = false } = {}): number {
  // Number('') is 0 and Number('1e3') is 1000; requiring plain digits keeps typos from turning
  // into surprising limits.
  const value = /^\d+$/.test(text.trim()) ? Number(text) : NaN
  if (!Number.isSafeInteger(value) || (value === 0 && !allowZero)) {
    throw new UsageError(`--${flag} needs a ${allowZero ? 'non-negative' : 'positive'} integer, got "${text}"`)
  }
  return value
}

/**
 * Turns argv (without the node and script entries) and the environment into options.
 * Flags win over environment variables, which win over the defaults.
 * @throws UsageError for unknown flags or unusable values.
 */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CliCommand {
  let values: Record<string, string | boolean | string[] | undefined>
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        'heartbeat-interval': { type: 'string' },
        'log-level': { type: 'string' },
        stun: { type: 'string', multiple: true },
        'turn-url': { type: 'string', multiple: true },
        'turn-secret': { type: 'string' },
        'turn-ttl': { type: 'string' },
        redis: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        ...Object.fromEntries(Object.keys(LIMIT_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
      },
    }).values
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }

  const options: SignalingServerOptions = {}
  const str = (flag: string): string | undefined => {
    const value = values[flag]
    return typeof value === 'string' ? value : undefined
  }

  const port = str('port') ?? env['PORT']
  if (port !== undefined && port !== '') options.port = number('port', port, { allowZero: true })
  const host = str('host') ?? env['HOST']
  if (host) options.host = host
  const token = str('token') ?? env['TOKEN']
  if (token) options.token = token

  const heartbeat = str('heartbeat-interval')
  if (heartbeat !== undefined) options.heartbeatIntervalMs = number('heartbeat-interval', heartbeat)

  const level = values.quiet ? 'silent' : (str('log-level') ?? env['LOG_LEVEL'])
  if (level !== undefined && level !== '') {
    if (!isLogLevel(level))
      throw new UsageError(`--log-level must be debug, info, warn, error or silent, got "${level}"`)
    options.logLevel = level
  }

  const list = (flag: string): string[] => {
    const value = values[flag]
    return Array.isArray(value) ? value : []
  }
  const stun = list('stun')
  const turnUrls = list('turn-url')
  const turnSecret = str('turn-secret') ?? env['TURN_SECRET']
  const turnTtl = str('turn-ttl')
  if (turnUrls.length > 0 && !turnSecret)
    throw new UsageError('--turn-url needs --turn-secret (or TURN_SECRET): coturn checks credentials made with it')
  if (turnUrls.length === 0 && (str('turn-secret') !== undefined || turnTtl !== undefined))
    throw new UsageError('--turn-secret and --turn-ttl need at least one --turn-url')
  if (stun.length > 0 || turnUrls.length > 0) {
    options.ice = { stun }
    if (turnUrls.length > 0 && turnSecret) {
      options.ice.turn = { urls: turnUrls, secret: turnSecret }
      if (turnTtl !== undefined) options.ice.turn.ttlSeconds = number('turn-ttl', turnTtl)
    }
    try {
      resolveIce(options.ice)
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err))
    }
  }
  const redis = str('redis') ?? env['REDIS_URL']
  if (redis) {
    if (!/^rediss?:\/\/\S+$/.test(redis))
      throw new UsageError(`--redis needs a redis:// or rediss:// URL, got "${redis}"`)
    options.redis = redis
  }

  const limits: Partial<SignalingLimits> = {}
  for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
    const value = str(flag)
    if (value !== undefined) limits[key] = number(flag, value)
  }
  if (Object.keys(limits).length > 0) options.limits = limits
  return { kind: 'run', options }
}
