/** The options of `npm start` and of the Electron main process (which gets them through the environment). */
import { DEFAULT_APP_PORT, DEFAULT_SIGNALING_PORT } from './defaults.js'

export const USAGE = `usage: npm start [-- options]      (or: npm run web [-- options])

  --web                  serve the app in a browser even when Electron is installed
  --port N               HTTP port of the app (default ${DEFAULT_APP_PORT}; 0 picks a free one)
  --signaling-port N     port of the embedded signaling server (default ${DEFAULT_SIGNALING_PORT})
  --no-signaling         do not embed a signaling server (point the app at another one)
  --host H               interface to listen on (default 0.0.0.0: reachable from the LAN)`

export interface LaunchOptions {
  web: boolean
  port: number
  signalingPort: number | null
  host: string
}

export class UsageError extends Error {}

function portArg(name: string, value: string | undefined): number {
  const n = Number(value)
  if (value === undefined || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${name} needs a port number`)
  return n
}

export function parseLaunchArgs(argv: string[], env: NodeJS.ProcessEnv = {}): LaunchOptions | 'help' {
  const options: LaunchOptions = {
    web: env.DIFFSTREAM_WEB === '1',
    port: env.DIFFSTREAM_PORT ? portArg('DIFFSTREAM_PORT', env.DIFFSTREAM_PORT) : DEFAULT_APP_PORT,
    signalingPort:
      env.DIFFSTREAM_SIGNALING_PORT === 'none'
        ? null
        : env.DIFFSTREAM_SIGNALING_PORT
          ? portArg('DIFFSTREAM_SIGNALING_PORT', env.DIFFSTREAM_SIGNALING_PORT)
          : DEFAULT_SIGNALING_PORT,
    host: env.DIFFSTREAM_HOST || '0.0.0.0',
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') return 'help'
    else if (arg === '--web') options.web = true
    else if (arg === '--port') options.port = portArg(arg, argv[++i])
    else if (arg === '--signaling-port') options.signalingPort = portArg(arg, argv[++i])
    else if (arg === '--no-signaling') options.signalingPort = null
    else if (arg === '--host') {
      const host = argv[++i]
      if (!host) throw new UsageError('--host needs an interface address')
      options.host = host
    } else throw new UsageError(`unknown option ${arg}`)
  }
  return options
}
