#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { parseCliArgs, USAGE, UsageError, type CliCommand } from './args.js'
import { startSignalingServer } from './server.js'
import type { SignalingServer } from './types.js'

function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : 'unknown'
}

async function main(): Promise<void> {
  let command: CliCommand
  try {
    command = parseCliArgs(process.argv.slice(2), process.env)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`diffstream-signaling: ${err.message}\n\n${USAGE}\n`)
    process.exit(2)
  }
  if (command.kind === 'help') return void process.stdout.write(`${USAGE}\n`)
  if (command.kind === 'version') return void process.stdout.write(`${packageVersion()}\n`)

  let server: SignalingServer | undefined
  let stopping = false
  // Installed before starting so a signal during startup still ends the process cleanly.
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping || server === undefined) {
      // Nothing to close yet, or a second signal: the operator does not want to wait for the
      // close handshakes.
      process.exit(stopping ? 1 : 0)
    }
    stopping = true
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`diffstream-signaling: error while stopping on ${signal}: ${String(err)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)

  server = await startSignalingServer(command.options)
  // The first stdout line is an interface: scripts and tests read the port from it.
  process.stdout.write(`diffstream-signaling listening on ${server.url}\n`)
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', event: 'fatal', message })}\n`,
  )
  process.exit(1)
})
