/**
 * Public option, handle and log types of `@diffstream/signaling`.
 * Kept apart from the implementation so that importing them pulls in no runtime code.
 */

/**
 * Per-server limits. Every limit protects the server (and the other clients on it) from one
 * connection; a connection that breaks one is closed, see `docs/signaling.md` for the close codes.
 */
export interface SignalingLimits {
  /**
   * Largest accepted frame, in bytes. A bigger frame closes the connection with 1009.
   * @defaultValue 65536
   */
  maxPayload: number
  /**
   * Distinct topics one connection may be subscribed to at once.
   * @defaultValue 100
   */
  maxTopicsPerConnection: number
  /**
   * Longest accepted topic name, in UTF-16 code units.
   * @defaultValue 256
   */
  maxTopicLength: number
  /**
   * Subscribers one topic may have. Subscribing to a full topic is refused (and logged) but the
   * connection stays open, because a full room is not the newcomer's fault.
   * @defaultValue 256
   */
  maxSubscribersPerTopic: number
  /**
   * Sustained frames per second per connection (token bucket refill rate).
   * @defaultValue 100
   */
  messagesPerSecond: number
  /**
   * Frames a connection may send in a burst (token bucket capacity).
   * @defaultValue 400
   */
  messageBurst: number
  /**
   * Open WebSocket connections in total; further upgrades get HTTP 503.
   * @defaultValue 1000
   */
  maxConnections: number
  /**
   * Bytes that may wait in one connection's send buffer. A subscriber that stops reading is
   * closed with 1013 once this is exceeded, so it cannot make the server hoard memory.
   * @defaultValue 4 MiB
   */
  maxBufferedAmount: number
}

/** Severity of a log entry; `silent` as a level turns logging off. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** A scalar that may appear as a field of a {@link LogEntry}. */
export type LogValue = string | number | boolean | null

/** One structured log record. Serialized as one JSON object per line by the default logger. */
export interface LogEntry {
  /** ISO 8601 timestamp. */
  time: string
  /** The entry's severity. */
  level: LogLevel
  /**
   * What happened: `listening`, `connect`, `subscribe`, `unsubscribe`, `ignored`, `reject`,
   * `disconnect`, `server-error`, `close`, `closed` (and `fatal` from the CLI); the table in
   * docs/signaling.md lists each one's fields.
   */
  event: string
  /** Further fields. Never contains message payloads. */
  [field: string]: LogValue | undefined
}

/** Receives every log entry at or above the configured level. */
export type LogSink = (entry: LogEntry) => void

/** Options of {@link startSignalingServer}. Every field is optional. */
export interface SignalingServerOptions {
  /**
   * TCP port; 0 picks a free one (read it back from the handle).
   * @defaultValue 4444
   */
  port?: number
  /**
   * Interface to listen on; use `0.0.0.0` or `::` to accept remote clients.
   * @defaultValue `'127.0.0.1'`
   */
  host?: string
  /**
   * Shared secret. When set, WebSocket upgrades must carry it as `?token=…` in the URL, otherwise
   * they are answered with HTTP 401. Unset or empty means no authentication.
   */
  token?: string
  /** Overrides of the default {@link SignalingLimits} ({@link DEFAULT_LIMITS}). */
  limits?: Partial<SignalingLimits>
  /**
   * Milliseconds between heartbeat pings. A connection that has not answered the previous ping
   * when the next one is due is terminated.
   * @defaultValue 30000
   */
  heartbeatIntervalMs?: number
  /**
   * Lowest level that is logged, or `silent`.
   * @defaultValue `'info'`
   */
  logLevel?: LogLevel | 'silent'
  /**
   * Where log entries go.
   * @defaultValue one JSON line per entry on stderr
   */
  logger?: LogSink
  /** STUN and TURN servers handed to rooms by `GET /ice`. Default: none (an empty list). */
  ice?: IceOptions
  /**
   * A Redis URL (`redis://HOST:PORT`, `rediss://` for TLS). Instances given the same Redis share
   * their clients' topics through Redis pub/sub, so peers on different instances meet. An instance
   * that loses Redis keeps serving its own clients, reports `degraded` on `/health` and reconnects.
   */
  redis?: string
}

/** TURN servers that accept credentials made with a shared secret (coturn's `use-auth-secret`). */
export interface TurnOptions {
  /** `turn:HOST:PORT` or `turns:HOST:PORT` URLs, optionally with `?transport=udp|tcp`. */
  urls: string[]
  /** coturn's `static-auth-secret`. */
  secret: string
  /**
   * Lifetime of the credentials handed out, in seconds (86400: a day).
   * @defaultValue 86400
   */
  ttlSeconds?: number
}

/** What `GET /ice` hands out. */
export interface IceOptions {
  /** `stun:HOST:PORT` URLs, handed out as they are. */
  stun?: string[]
  /** TURN servers; each `/ice` answer carries fresh credentials for them. */
  turn?: TurnOptions
}

/** One entry of {@link IceResponse.iceServers}, shaped like WebRTC's `RTCIceServer`. */
export interface IceServerEntry {
  urls: string[]
  username?: string
  credential?: string
}

/** The JSON body of `GET /ice`. */
export interface IceResponse {
  iceServers: IceServerEntry[]
  /** Seconds the credentials stay valid; clients ask again before that. */
  ttl: number
}

/** The Redis link of a clustered instance, as `/health` reports it. */
export interface ClusterStats {
  /** `up` while both Redis connections (publish and subscribe) are ready. */
  redis: 'up' | 'down'
  /** This instance's random id; its own publishes coming back from Redis are recognised by it. */
  instance: string
  /** Publishes sent to Redis. */
  published: number
  /** Publishes from other instances received from Redis. */
  received: number
  /** Publishes that could not be sent to Redis (it was down): only this instance's clients got them. */
  dropped: number
}

/** Counts reported by `GET /health` and {@link SignalingServer.stats}. */
export interface SignalingStats {
  /** Open WebSocket connections. */
  connections: number
  /** Topics with at least one subscriber. */
  topics: number
  /** Present when the server runs with `redis`. */
  cluster?: ClusterStats
}

/** A running signaling server, as returned by {@link startSignalingServer}. */
export interface SignalingServer {
  /** WebSocket URL clients connect to, e.g. `ws://127.0.0.1:4444`. */
  readonly url: string
  /** The port actually bound (useful when 0 was asked for). */
  readonly port: number
  /** The host the server was asked to listen on. */
  readonly host: string
  /** Current connection and topic counts. */
  stats(): SignalingStats
  /**
   * Stops accepting connections, closes every open one with 1001 and resolves once the listening
   * socket is closed. Safe to call more than once.
   */
  close(): Promise<void>
}
