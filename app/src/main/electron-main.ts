/**
 * The Electron main process: the only module that touches Electron. Everything it decides is in
 * modules that do not import Electron (security.ts, handlers.ts, server.ts, options.ts), so that
 * it is tested without the binary.
 */
import { join } from 'node:path'
import { IPC, type IpcChannel } from '../shared/ipc.js'
import type { BrowserWindowApi, ElectronApi } from './electron-api.js'
import { CredentialVault } from './credentials.js'
import { linkFromArgv, PendingLink, PROTOCOL } from './deep-link.js'
import { createIpcHandlers } from './handlers.js'
import { parseLaunchArgs } from './options.js'
import { isAllowedNavigation, isPermissionAllowed, newWindowPolicy, windowOptions } from './security.js'
import { startAppServer, type AppServer } from './server.js'

// Loaded with require so that type-checking does not need Electron's types (see electron-api.ts).
const { app, BrowserWindow, dialog, ipcMain, safeStorage, session, shell } = require('electron') as ElectronApi

app.enableSandbox()
// The window only ever shows the app's own page, so plain host candidates leak nothing, while
// mDNS host names fail to resolve on many LANs and would keep peers from connecting.
app.commandLine.appendSwitch('disable-features', 'WebRtcHideLocalIpsWithMdns')

let server: AppServer | null = null
let window: BrowserWindowApi | null = null
/** An invite link the app was opened with, until the renderer takes it. */
const pendingLink = new PendingLink()

function hardenContents(origin: string): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, origin)) event.preventDefault()
    })
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url, origin)) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      const policy = newWindowPolicy(url)
      if (policy.openExternally) void shell.openExternal(policy.openExternally)
      return { action: policy.action }
    })
  })
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl ?? '', origin)),
  )
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin, origin),
  )
}

function registerIpc(appServer: AppServer): void {
  const jsonFilter = [{ name: 'JSON', extensions: ['json'] }]
  const handlers = createIpcHandlers({
    appOrigin: appServer.origin,
    info: () => ({ ...appServer.info(), mode: 'electron' }),
    // safeStorage works only once the app is ready, which start() awaited before this.
    credentials: new CredentialVault(join(app.getPath('userData'), 'credentials.json'), safeStorage),
    pendingInvite: () => pendingLink.take(),
    async chooseSavePath(suggestedName) {
      if (!window) return null
      const r = await dialog.showSaveDialog(window, { defaultPath: suggestedName, filters: jsonFilter })
      return r.canceled || !r.filePath ? null : r.filePath
    },
    async chooseOpenPath() {
      if (!window) return null
      const r = await dialog.showOpenDialog(window, { properties: ['openFile'], filters: jsonFilter })
      return r.canceled ? null : (r.filePaths[0] ?? null)
    },
  })
  for (const channel of Object.values(IPC) as IpcChannel[]) {
    ipcMain.handle(channel, (event, ...args) => handlers[channel]({ url: event.senderFrame?.url ?? '' }, ...args))
  }
}

async function start(): Promise<void> {
  await app.whenReady()
  const options = parseLaunchArgs([], process.env)
  if (options === 'help') throw new Error('unexpected --help')
  const appPath = app.getAppPath()
  server = await startAppServer({
    rendererDir: join(appPath, 'renderer'),
    host: options.host,
    port: options.port,
    signalingPort: options.signalingPort,
    version: app.getVersion(),
    mode: 'electron',
  })
  hardenContents(server.origin)
  registerIpc(server)
  window = new BrowserWindow(windowOptions(join(appPath, 'preload', 'preload.cjs')))
  const shown = window
  shown.once('ready-to-show', () => shown.show())
  await shown.loadURL(server.url)
}

if (!app.requestSingleInstanceLock()) {
  // One instance owns the ports and the profile's IndexedDB; a second launch focuses it instead.
  app.quit()
} else {
  // diffstream://join?code=… links open this app (the renderer asks for them when its window gets the focus).
  app.setAsDefaultProtocolClient(PROTOCOL)
  pendingLink.offer(linkFromArgv(process.argv))
  app.on('second-instance', (_event, argv) => {
    pendingLink.offer(linkFromArgv(argv))
    if (window?.isMinimized()) window.restore()
    window?.focus()
  })
  app.on('open-url', (event, url) => {
    event.preventDefault()
    pendingLink.offer(url)
    window?.focus()
  })
  app.on('window-all-closed', () => app.quit())
  let closed = false
  app.on('before-quit', (event) => {
    if (closed || !server) return
    event.preventDefault()
    void server.close().finally(() => {
      closed = true
      app.quit()
    })
  })
  start().catch((err: unknown) => {
    dialog.showErrorBox('DiffStream could not start', err instanceof Error ? err.message : String(err))
    app.exit(1)
  })
}
