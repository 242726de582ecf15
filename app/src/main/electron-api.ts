/**
 * The part of Electron's API the app uses, typed here because `electron` is an optional dependency
 * whose types are absent wherever its binary could not be downloaded. Structural: Electron's real
 * objects satisfy it.
 */
import type { SafeStorageApi } from './credentials.js'
import type { AppWindowOptions } from './security.js'

export interface ElectronEvent {
  preventDefault(): void
}

export interface WebContentsApi {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: ElectronEvent, url: string) => void): void
  on(event: 'will-attach-webview', listener: (event: ElectronEvent) => void): void
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void
}

export interface BrowserWindowApi {
  readonly webContents: WebContentsApi
  loadURL(url: string): Promise<void>
  once(event: 'ready-to-show', listener: () => void): void
  show(): void
  focus(): void
  restore(): void
  isMinimized(): boolean
}

export interface IpcMainInvokeEventApi {
  readonly senderFrame: { readonly url: string } | null
}

export interface ElectronApi {
  app: {
    whenReady(): Promise<void>
    on(event: 'window-all-closed' | 'activate', listener: () => void): void
    on(event: 'second-instance', listener: (event: unknown, argv: string[]) => void): void
    on(event: 'open-url', listener: (event: ElectronEvent, url: string) => void): void
    on(event: 'before-quit', listener: (event: ElectronEvent) => void): void
    on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsApi) => void): void
    quit(): void
    exit(code?: number): void
    getVersion(): string
    getAppPath(): string
    getPath(name: 'userData'): string
    requestSingleInstanceLock(): boolean
    setAsDefaultProtocolClient(protocol: string): boolean
    enableSandbox(): void
    readonly commandLine: { appendSwitch(name: string, value?: string): void }
  }
  BrowserWindow: {
    new (options: AppWindowOptions): BrowserWindowApi
    getAllWindows(): BrowserWindowApi[]
  }
  ipcMain: {
    handle(channel: string, listener: (event: IpcMainInvokeEventApi, ...args: unknown[]) => Promise<unknown>): void
  }
  dialog: {
    showSaveDialog(
      window: BrowserWindowApi,
      options: { defaultPath: string; filters: Array<{ name: string; extensions: string[] }> },
    ): Promise<{ canceled: boolean; filePath?: string }>
    showOpenDialog(
      window: BrowserWindowApi,
      options: { properties: Array<'openFile'>; filters: Array<{ name: string; extensions: string[] }> },
    ): Promise<{ canceled: boolean; filePaths: string[] }>
    showErrorBox(title: string, content: string): void
  }
  shell: { openExternal(url: string): Promise<void> }
  safeStorage: SafeStorageApi
  session: {
    readonly defaultSession: {
      setPermissionRequestHandler(
        handler: (
          contents: unknown,
          permission: string,
          callback: (granted: boolean) => void,
          details: { requestingUrl?: string },
        ) => void,
      ): void
      setPermissionCheckHandler(
        handler: (contents: unknown, permission: string, requestingOrigin: string) => boolean,
      ): void
    }
  }
}
