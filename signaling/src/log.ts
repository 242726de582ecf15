import type { LogLevel, LogSink, LogValue } from './types.js'

const RANK: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** Fields a caller attaches to a log entry. */
export type LogFields = Record<string, LogValue | undefined>

/** Level-filtered structured logger handed to the rest of the server. */
export interface Log {
  debug(event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  error(event: string, fields?: LogFields): void
}

/** Writes one JSON object per line to stderr, so logs stay apart from the stdout address line. */
export const stderrSink: LogSink = (entry) => {
  process.stderr.write(`${JSON.stringify(entry)}\n`)
}

/** Whether `value` names a level (or `silent`); for validating user input such as `--log-level`. */
export function isLogLevel(value: string): value is LogLevel | 'silent' {
  return Object.hasOwn(RANK, value)
}

/** Creates a logger that drops entries below `level` and hands the rest to `sink`. */
export function createLog(level: LogLevel | 'silent' = 'info', sink: LogSink = stderrSink): Log {
  const threshold = RANK[level]
  const emit = (entryLevel: LogLevel, event: string, fields: LogFields = {}): void => {
    if (RANK[entryLevel] < threshold) return
    // A throwing sink must not take a connection handler down with it.
    try {
      const head = { time: new Date().toISOString(), level: entryLevel, event }
      // The head goes first for readable lines and again last so no field can overwrite it.
      sink(Object.assign({}, head, fields, head))
    } catch {
      /* logging is best effort */
    }
  }
  return {
    debug: (event, fields) => emit('debug', event, fields),
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  }
}
