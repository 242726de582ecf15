// The desktop app's main-process logic, without Electron: window options and security flags, the
// CSP, navigation / new-window / permission policy, the IPC channel table, the preload's bridge,
// the IPC handlers, the local server (static files, /api/info, embedded signaling) and `npm start`'s
// fallback to web mode.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runInNewContext } from 'node:vm'
import WebSocket from 'ws'
import { BRIDGE_KEY, IPC, MAX_FILE_BYTES, type AppInfo } from '../../app/src/shared/ipc.js'
import { linkFromArgv, MAX_LINK_CHARS, PendingLink } from '../../app/src/main/deep-link.js'
import { findElectron, lockedElectron, minimumNode } from '../../app/src/main/electron-binary.js'
import { createIpcHandlers, IpcInputError, type HandlerDeps } from '../../app/src/main/handlers.js'
import { lanAddresses, signalingUrlFor } from '../../app/src/main/network.js'
import { parseLaunchArgs, UsageError } from '../../app/src/main/options.js'
import { IMPORT_MAP, IMPORT_MAP_HASH, indexHtml } from '../../app/src/main/page.js'
import {
  CONTENT_SECURITY_POLICY,
  isAllowedNavigation,
  isExternalLink,
  isPermissionAllowed,
  isTrustedSender,
  newWindowPolicy,
  SECURITY_HEADERS,
  windowOptions,
} from '../../app/src/main/security.js'
import { reachableOn, resolveStatic, startAppServer, type AppServer } from '../../app/src/main/server.js'
import { ensureSignalingBuilt } from '../helpers/signaling-process.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const appDir = join(root, 'app')
const dist = join(appDir, 'dist')
const ORIGIN = 'http://127.0.0.1:4480'

before(() => {
  ensureSignalingBuilt()
  if (!existsSync(join(dist, 'preload', 'preload.cjs')) || !existsSync(join(dist, 'launch.js'))) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'app/build.ts'], { cwd: root, encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
  }
})

describe('the window', () => {
  test('isolates the page: context isolation, sandbox, no Node, web security, no webviews', () => {
    const options = windowOptions('/app/preload/preload.cjs')
    assert.deepEqual(options.webPreferences, {
      preload: '/app/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    })
    assert.equal(options.show, false)
    assert.throws(() => windowOptions(''), /preload/)
  })

  test('navigates only within the app, opens no new windows, hands web links to the browser', () => {
    assert.equal(isAllowedNavigation(`${ORIGIN}/`, ORIGIN), true)
    assert.equal(isAllowedNavigation(`${ORIGIN}/index.html?x=1#y`, ORIGIN), true)
    for (const url of [
      'http://127.0.0.1:4481/',
      'https://127.0.0.1:4480/',
      'http://localhost:4480/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,x',
      'not a url',
      '',
    ]) {
      assert.equal(isAllowedNavigation(url, ORIGIN), false, url)
    }
    assert.deepEqual(newWindowPolicy('https://github.com/yjs/yjs'), {
      action: 'deny',
      openExternally: 'https://github.com/yjs/yjs',
    })
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'https://user:pw@example.com/',
      'garbage',
    ]) {
      assert.deepEqual(newWindowPolicy(url), { action: 'deny', openExternally: null }, url)
      assert.equal(isExternalLink(url), false, url)
    }
  })

  test('grants no permission but clipboard writes, and only to the app', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'hid', 'serial']) {
      assert.equal(isPermissionAllowed(p, `${ORIGIN}/`, ORIGIN), false, p)
    }
    assert.equal(isPermissionAllowed('clipboard-sanitized-write', `${ORIGIN}/`, ORIGIN), true)
    assert.equal(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example/', ORIGIN), false)
    assert.equal(isTrustedSender(`${ORIGIN}/`, ORIGIN), true)
    assert.equal(isTrustedSender('https://evil.example/', ORIGIN), false)
  })
})

describe('the Content-Security-Policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/)
      return [name!, values] as const
    }),
  )

  test('allows scripts and styles from the app only, no inline code but the hashed import map, no eval', () => {
    assert.deepEqual(directives.get('default-src'), ["'none'"])
    assert.deepEqual(directives.get('script-src'), ["'self'", IMPORT_MAP_HASH])
    assert.deepEqual(directives.get('style-src'), ["'self'"])
    assert.deepEqual(directives.get('object-src'), ["'none'"])
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"])
    assert.deepEqual(directives.get('base-uri'), ["'none'"])
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-|\*/)
    assert.equal(SECURITY_HEADERS['Content-Security-Policy'], CONTENT_SECURITY_POLICY)
  })

  test('the hash is the import map the built page carries, its only inline script, with no inline style', () => {
    const html = readFileSync(join(dist, 'renderer', 'index.html'), 'utf8')
    assert.equal(html, indexHtml())
    const inline = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].filter((m) => m[2] !== '')
    assert.deepEqual(
      inline.map((m) => [m[1], m[2]]),
      [[' type="importmap"', IMPORT_MAP]],
    )
    assert.doesNotMatch(html, /\sstyle=|<style|\son\w+=/i)
    assert.match(IMPORT_MAP_HASH, /^'sha256-[A-Za-z0-9+/]{43}='$/)
  })
})

describe('IPC', () => {
  test('channel names live in one table, are unique and namespaced', () => {
    const names = Object.values(IPC)
    assert.equal(new Set(names).size, names.length)
    for (const n of names) assert.match(n, /^diffstream:[a-z-]+$/)
  })

  test('the built preload is CommonJS, needs only electron, and exposes exactly one function per channel', async () => {
    const code = readFileSync(join(dist, 'preload', 'preload.cjs'), 'utf8')
    assert.doesNotMatch(code, /^\s*(import|export)\s/m)
    const exposed = new Map<string, unknown>()
    const invoked: unknown[][] = []
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
      ipcRenderer: {
        invoke: async (...args: unknown[]) => {
          invoked.push(args)
          return 'ok'
        },
        send: () => assert.fail('the preload must not use send'),
      },
    }
    const required: string[] = []
    const sandboxRequire = (name: string): unknown => {
      required.push(name)
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`)
      return electron
    }
    runInNewContext(code, { require: sandboxRequire, module: { exports: {} }, exports: {} })
    assert.deepEqual(required, ['electron'])
    assert.deepEqual([...exposed.keys()], [BRIDGE_KEY])
    const api = exposed.get(BRIDGE_KEY) as Record<string, (...a: unknown[]) => Promise<unknown>>
    assert.ok(Object.isFrozen(api))
    assert.deepEqual(Object.keys(api).sort(), Object.keys(IPC).sort())
    for (const k of Object.keys(api)) assert.equal(typeof api[k], 'function', k)
    await api.info!()
    await api.saveJson!('a.json', '{}')
    await api.openJson!()
    assert.deepEqual(invoked, [[IPC.info], [IPC.saveJson, 'a.json', '{}'], [IPC.openJson]])
  })

  describe('handlers', () => {
    let dir = ''
    const info: AppInfo = {
      version: '1.2.3',
      mode: 'electron',
      signalingUrl: 'ws://127.0.0.1:4444',
      lan: [],
      notices: [],
    }
    const me = { url: `${ORIGIN}/` }
    let savePath: string | null = null
    let openPath: string | null = null
    let suggested = ''
    const deps = (): HandlerDeps => ({
      appOrigin: ORIGIN,
      info: () => info,
      chooseSavePath: async (name) => ((suggested = name), savePath),
      chooseOpenPath: async () => openPath,
    })
    before(() => (dir = mkdtempSync(join(tmpdir(), 'diffstream-ipc-'))))
    after(() => rmSync(dir, { recursive: true, force: true }))

    test('refuse calls from any page but the app', async () => {
      const h = createIpcHandlers(deps())
      for (const url of ['https://evil.example/', 'file:///x.html', '', 'http://127.0.0.1:9999/']) {
        await assert.rejects(h[IPC.info]({ url }), IpcInputError, url)
        await assert.rejects(h[IPC.saveJson]({ url }, 'a.json', '{}'), IpcInputError, url)
      }
      assert.deepEqual(await h[IPC.info](me), info)
      await assert.rejects(h[IPC.info](me, 'extra'), IpcInputError)
    })

    test('saveJson writes where the user chose, suggesting only a clean file name', async () => {
      const h = createIpcHandlers(deps())
      savePath = join(dir, 'out.json')
      assert.deepEqual(await h[IPC.saveJson](me, '../../etc/passwd', '{"a":1}'), { saved: true, path: savePath })
      assert.equal(suggested, 'passwd.json')
      assert.equal(readFileSync(savePath, 'utf8'), '{"a":1}')
      await h[IPC.saveJson](me, 'C:\\Users\\x\\my room?.json', '{}')
      assert.equal(suggested, 'my room_.json')
      savePath = null
      assert.deepEqual(await h[IPC.saveJson](me, 'x.json', '{}'), { saved: false })
      for (const args of [
        [],
        ['x.json'],
        [1, '{}'],
        ['x.json', 1],
        ['', '{}'],
        ['a'.repeat(201), '{}'],
        ['..', '{}'],
      ]) {
        await assert.rejects(h[IPC.saveJson](me, ...args), IpcInputError, JSON.stringify(args).slice(0, 40))
      }
    })

    test('openJson reads the file the user chose, refusing one that is too big', async () => {
      const h = createIpcHandlers(deps())
      openPath = join(dir, 'in.json')
      writeFileSync(openPath, '{"k":{"key":"k"}}')
      assert.deepEqual(await h[IPC.openJson](me), { opened: true, name: 'in.json', text: '{"k":{"key":"k"}}' })
      openPath = join(dir, 'huge.json')
      writeFileSync(openPath, '')
      truncateSync(openPath, MAX_FILE_BYTES + 1) // sparse: no disk used
      await assert.rejects(h[IPC.openJson](me), /larger than/)
      openPath = null
      assert.deepEqual(await h[IPC.openJson](me), { opened: false })
    })

    test('pendingInvite hands the diffstream:// link the app was opened with to the app page, once', async () => {
      const pending = new PendingLink()
      const h = createIpcHandlers({ ...deps(), pendingInvite: () => pending.take() })
      assert.equal(await h[IPC.pendingInvite](me), null)
      const link = 'diffstream://join?code=ds1.abc'
      assert.equal(pending.offer(linkFromArgv(['/opt/DiffStream/diffstream', '--no-sandbox', link])), true)
      await assert.rejects(h[IPC.pendingInvite]({ url: 'https://evil.example/' }), IpcInputError)
      await assert.rejects(h[IPC.pendingInvite](me, 'extra'), IpcInputError)
      assert.equal(await h[IPC.pendingInvite](me), link)
      assert.equal(await h[IPC.pendingInvite](me), null, 'handed out once')
      // Anything else is not kept: other schemes, non-strings, links too long to be invites.
      for (const junk of ['https://x/#invite=ds1.a', 42, null, `diffstream://join?code=${'a'.repeat(MAX_LINK_CHARS)}`])
        assert.equal(pending.offer(junk), false, String(junk).slice(0, 40))
      assert.equal(linkFromArgv(['app', '--flag']), null)
      assert.equal(await h[IPC.pendingInvite](me), null)
      // Without a source of links (web mode's server), there is never one.
      assert.equal(await createIpcHandlers(deps())[IPC.pendingInvite](me), null)
    })
  })
})

describe('the local server', () => {
  let server: AppServer

  before(async () => {
    server = await startAppServer({
      rendererDir: join(dist, 'renderer'),
      host: '127.0.0.1',
      port: 0,
      signalingPort: 0,
      version: '9.9.9',
      signalingLogLevel: 'silent',
    })
  })
  after(() => server?.close())

  const get = (
    path: string,
    method = 'GET',
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> =>
    new Promise((resolve, reject) => {
      // http.request sends the path as given, so ../ and %2e%2e reach the server unnormalized.
      const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      req.on('error', reject)
      req.end()
    })

  test('serves the renderer with the security headers', async () => {
    const page = await get('/')
    assert.equal(page.status, 200)
    assert.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY)
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    assert.match(page.body, /<script type="module" src=".\/app.js">/)
    const js = await get('/vendor/simple-peer.js')
    assert.equal(js.status, 200)
    assert.match(String(js.headers['content-type']), /^text\/javascript/)
    assert.match(js.body, /export default/)
  })

  test('serves nothing outside the renderer, and only GET and HEAD', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2f..%2fpackage.json',
      '/vendor/../../launch.js',
      '/%00',
      '/nope.html',
      '/vendor/',
    ]) {
      assert.equal((await get(path)).status, 404, path)
    }
    assert.equal((await get('/', 'POST')).status, 405)
    assert.equal((await get('/', 'HEAD')).status, 200)
    // Dot segments are resolved as URLs resolve them, which never leaves the root; encoded ones are refused.
    assert.equal(resolveStatic('/srv/app', '/a/../../etc/passwd'), '/srv/app/etc/passwd')
    assert.equal(resolveStatic('/srv/app', '/..%2f..%2fetc%2fpasswd'), null)
    assert.equal(resolveStatic('/srv/app', '/x%00.html'), null)
    assert.equal(resolveStatic('/srv/app', '/'), '/srv/app/index.html')
  })

  test('/api/info gives the signaling URL as the page reaches this machine, and the LAN addresses', async () => {
    const res = await get('/api/info')
    const info = JSON.parse(res.body) as AppInfo
    assert.equal(info.version, '9.9.9')
    assert.equal(info.mode, 'web')
    assert.equal(info.signalingUrl, `ws://127.0.0.1:${server.signaling!.port}`)
    assert.deepEqual(info.lan, [], 'bound to 127.0.0.1: nothing is reachable from the LAN')
    assert.deepEqual(info.notices, [])
    assert.equal(server.info('192.168.1.7:4480').signalingUrl, `ws://192.168.1.7:${server.signaling!.port}`)
  })

  test('the embedded signaling server answers', async () => {
    const ws = new WebSocket(server.signalingUrl!)
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'ping' })))
      ws.on('message', (d: Buffer) => resolve(d.toString()))
      ws.on('error', reject)
    })
    ws.close()
    assert.deepEqual(JSON.parse(reply), { type: 'pong' })
  })

  test('a taken port falls back to a free one and says what that means', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const taken = (blocker.address() as AddressInfo).port
    const other = await startAppServer({
      rendererDir: join(dist, 'renderer'),
      host: '127.0.0.1',
      port: taken,
      signalingPort: taken,
      signalingLogLevel: 'silent',
    })
    try {
      assert.notEqual(other.port, taken)
      assert.notEqual(other.signaling!.port, taken)
      const notices = other.info().notices
      assert.equal(notices.length, 2)
      assert.match(notices.join('\n'), new RegExp(`Port ${taken} was taken.*signaling`))
      assert.match(notices.join('\n'), /Data is kept per address/)
      await assert.rejects(
        startAppServer({
          rendererDir: join(dist, 'renderer'),
          host: '127.0.0.1',
          port: taken,
          signalingPort: null,
          fallbackToFreePort: false,
        }),
        /EADDRINUSE/,
      )
    } finally {
      await other.close()
      blocker.close()
    }
  })
})

describe('network addresses', () => {
  const ifaces = {
    lo: [
      {
        address: '127.0.0.1',
        netmask: '255.0.0.0',
        family: 'IPv4',
        mac: '00:00:00:00:00:00',
        internal: true,
        cidr: '127.0.0.1/8',
      },
    ],
    eth0: [
      {
        address: 'fe80::1',
        netmask: 'ffff:ffff:ffff:ffff::',
        family: 'IPv6',
        mac: 'aa:bb:cc:dd:ee:ff',
        internal: false,
        cidr: 'fe80::1/64',
        scopeid: 2,
      },
      {
        address: '2001:db8::5',
        netmask: 'ffff:ffff:ffff:ffff::',
        family: 'IPv6',
        mac: 'aa:bb:cc:dd:ee:ff',
        internal: false,
        cidr: '2001:db8::5/64',
        scopeid: 0,
      },
      {
        address: '192.168.1.20',
        netmask: '255.255.255.0',
        family: 'IPv4',
        mac: 'aa:bb:cc:dd:ee:ff',
        internal: false,
        cidr: '192.168.1.20/24',
      },
    ],
    wlan0: [
      {
        address: '169.254.3.4',
        netmask: '255.255.0.0',
        family: 'IPv4',
        mac: 'aa:bb:cc:dd:ee:00',
        internal: false,
        cidr: '169.254.3.4/16',
      },
    ],
  } as const
  type Interfaces = Parameters<typeof lanAddresses>[0]

  test('lists what another machine can use, IPv4 first', () => {
    assert.deepEqual(lanAddresses(ifaces as unknown as Interfaces, 4480, 4444), [
      {
        iface: 'eth0',
        address: '192.168.1.20',
        appUrl: 'http://192.168.1.20:4480/',
        signalingUrl: 'ws://192.168.1.20:4444',
      },
      {
        iface: 'eth0',
        address: '2001:db8::5',
        appUrl: 'http://[2001:db8::5]:4480/',
        signalingUrl: 'ws://[2001:db8::5]:4444',
      },
    ])
    assert.equal(lanAddresses(ifaces as unknown as Interfaces, 4480, null)[0]!.signalingUrl, null)
  })

  test('only addresses the server listens on are offered', () => {
    assert.equal(reachableOn('0.0.0.0', '192.168.1.20'), true)
    assert.equal(reachableOn('0.0.0.0', '2001:db8::5'), false)
    assert.equal(reachableOn('::', '2001:db8::5'), true)
    assert.equal(reachableOn('127.0.0.1', '192.168.1.20'), false)
    assert.equal(reachableOn('192.168.1.20', '192.168.1.20'), true)
  })

  test('the signaling URL follows the Host the page was loaded from', () => {
    assert.equal(signalingUrlFor('192.168.1.20:4480', 4444), 'ws://192.168.1.20:4444')
    assert.equal(signalingUrlFor('[2001:db8::5]:4480', 4444), 'ws://[2001:db8::5]:4444')
    assert.equal(signalingUrlFor('localhost', 4444), 'ws://localhost:4444')
    assert.equal(signalingUrlFor(undefined, 4444), 'ws://127.0.0.1:4444')
    assert.equal(signalingUrlFor('bad host:x:y', 4444), 'ws://127.0.0.1:4444')
  })
})

describe('npm start', () => {
  test('options: defaults, flags, environment (how Electron gets them), mistakes', () => {
    assert.deepEqual(parseLaunchArgs([]), { web: false, port: 4480, signalingPort: 4444, host: '0.0.0.0' })
    assert.deepEqual(parseLaunchArgs(['--web', '--port', '0', '--signaling-port', '5555', '--host', '127.0.0.1']), {
      web: true,
      port: 0,
      signalingPort: 5555,
      host: '127.0.0.1',
    })
    assert.deepEqual(parseLaunchArgs(['--no-signaling']), {
      web: false,
      port: 4480,
      signalingPort: null,
      host: '0.0.0.0',
    })
    assert.equal(parseLaunchArgs(['--help']), 'help')
    assert.deepEqual(
      parseLaunchArgs([], { DIFFSTREAM_PORT: '5000', DIFFSTREAM_SIGNALING_PORT: 'none', DIFFSTREAM_HOST: '::' }),
      {
        web: false,
        port: 5000,
        signalingPort: null,
        host: '::',
      },
    )
    for (const args of [['--port'], ['--port', '70000'], ['--port', 'x'], ['--host'], ['--what']]) {
      assert.throws(() => parseLaunchArgs(args), UsageError, args.join(' '))
    }
  })

  test('finds no Electron where the optional dependency is absent', () => {
    const empty = mkdtempSync(join(tmpdir(), 'diffstream-noelectron-'))
    try {
      writeFileSync(join(empty, 'package.json'), '{}')
      assert.deepEqual(findElectron(empty), {
        found: false,
        reason:
          'the optional dependency "electron" is not installed (npm install skipped it or its install failed; run npm install again)',
      })
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  test('says which Node the locked Electron needs when npm skipped it for this one', () => {
    const repo = mkdtempSync(join(tmpdir(), 'diffstream-oldnode-'))
    try {
      const app = join(repo, 'app')
      mkdirSync(app)
      writeFileSync(join(app, 'package.json'), '{}')
      const lock = { packages: { 'node_modules/electron': { version: '45.5.0', engines: { node: '>= 22.12.0' } } } }
      writeFileSync(join(repo, 'package-lock.json'), JSON.stringify(lock))
      assert.deepEqual(findElectron(app, '20.20.2'), {
        found: false,
        reason:
          'electron 45.5.0 needs Node 22.12.0 or newer and this is Node 20.20.2, so npm skipped the optional dependency; ' +
          'install a newer Node and run npm install again',
      })
      // A Node that satisfies it: then something else kept electron out.
      assert.match(
        (findElectron(app, '22.12.0') as { reason: string }).reason,
        /^the optional dependency "electron" is not installed/,
      )
      assert.match(
        (findElectron(app, '24.1.0') as { reason: string }).reason,
        /^the optional dependency "electron" is not installed/,
      )
    } finally {
      rmSync(repo, { recursive: true, force: true })
    }
  })

  test("README states the launcher's environment variables and their defaults as the code has them", () => {
    const readme = readFileSync(join(appDir, '..', 'README.md'), 'utf8')
    const source = readFileSync(join(appDir, 'src', 'main', 'options.ts'), 'utf8')
    const read = [...new Set([...source.matchAll(/env\.(DIFFSTREAM_\w+)/g)].map((m) => m[1]!))].sort()
    assert.ok(read.length >= 4, `options.ts reads ${read.join(', ')}`)
    for (const name of read) assert.ok(readme.includes(`\`${name}`), `README documents ${name}`)
    const stated = (name: string): string => {
      const m = new RegExp(`\`${name}\` \\(default \`?([\\w.]+)`).exec(readme)
      assert.ok(m, `README states the default of ${name}`)
      return m[1]!
    }
    const defaults = parseLaunchArgs([], {}) as { port: number; signalingPort: number; host: string }
    assert.equal(Number(stated('DIFFSTREAM_PORT')), defaults.port)
    assert.equal(Number(stated('DIFFSTREAM_SIGNALING_PORT')), defaults.signalingPort)
    assert.equal(stated('DIFFSTREAM_HOST'), defaults.host)
  })

  test("this repository's lockfile names the Node that its Electron needs", () => {
    const locked = lockedElectron(appDir)
    assert.ok(locked, 'package-lock.json locks electron')
    const minimum = minimumNode(locked.node ?? '')
    assert.ok(minimum, `electron's engines.node is a >= range: ${locked.node}`)
    // README.md states it for the desktop app; keep them together.
    const readme = readFileSync(join(appDir, '..', 'README.md'), 'utf8')
    assert.ok(
      readme.includes(`Node ${minimum.slice(0, 2).join('.')} or newer`),
      `README states Node ${minimum.join('.')} for the app`,
    )
  })

  test('falls back to web mode, saying why, when Electron cannot run', { timeout: 20_000 }, async (t) => {
    const electron = findElectron(appDir)
    if (electron.found) return t.skip(`electron ${electron.version} is installed here: npm start opens it`)
    const child = spawn(
      process.execPath,
      [join(dist, 'launch.js'), '--port', '0', '--signaling-port', '0', '--host', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const lines: string[] = []
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no web-mode line: ${lines.join('\n')}`)), 15_000)
        createInterface({ input: child.stdout! }).on('line', (line) => {
          lines.push(line)
          const m = /^DiffStream web mode: (\S+)$/.exec(line)
          if (m) {
            clearTimeout(timer)
            resolve(m[1]!)
          }
        })
      })
      assert.equal(lines[0], `Electron is not available: ${electron.reason}. Serving DiffStream in web mode instead.`)
      const res = await fetch(url)
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY)
    } finally {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
  })
})
