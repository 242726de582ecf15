// What a new user does: clone the repository, `npm install`, then the README's
// `npx diffstream-signaling --port N`. The bin must exist at install time (signaling/bin is
// committed), and it builds the server on first run.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/free-port.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const head = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' })
const skip = head.status === 0 ? false : `not a git checkout, nothing to clone: ${head.stderr || head.error}`
if (skip) console.log(`# skipped: ${skip}`)

/** The environment of a new user's shell: none of the npm variables of the `npm test` running us. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): void {
  const r = spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: timeoutMs })
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`)
}

test(
  'a fresh clone: npm install, then npx diffstream-signaling serves /health',
  { skip, timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-clone-'))
    try {
      run('git', ['clone', '--quiet', '--no-checkout', root, dir], tmpdir(), 60_000)
      run('git', ['checkout', '--quiet', head.stdout.trim()], dir, 60_000)
      // --prefer-offline: the packages come from npm's cache when it has them (CI's is warm), as for a user who installed before.
      run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir, 240_000)

      const port = await freePort()
      const child = spawn('npx', ['diffstream-signaling', '--port', String(port)], {
        cwd: dir,
        env: userEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: npx does not pass SIGTERM on to the server it started.
        detached: true,
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      try {
        const deadline = Date.now() + 60_000
        while (!stdout.includes('\n')) {
          assert.ok(child.exitCode === null, `npx exited ${child.exitCode}:\n${stdout}\n${stderr}`)
          assert.ok(Date.now() < deadline, `no listening line within 60 s:\n${stderr}`)
          await new Promise((r) => setTimeout(r, 100))
        }
        assert.equal(stdout.split('\n')[0], `diffstream-signaling listening on ws://127.0.0.1:${port}`)
        const res = await fetch(`http://127.0.0.1:${port}/health`)
        assert.equal(res.status, 200)
        assert.deepEqual(await res.json(), { status: 'ok', connections: 0, topics: 0 })
        assert.match(stderr, /"event":"build"/, 'the first run built the server')
      } finally {
        const exited = new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)))
        process.kill(-child.pid!, 'SIGTERM')
        await exited
        // The server itself, npx's child, is in the group too: wait until it is gone.
        for (let i = 0; i < 50; i++) {
          try {
            process.kill(-child.pid!, 0)
          } catch {
            break
          }
          await new Promise((r) => setTimeout(r, 100))
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
)
