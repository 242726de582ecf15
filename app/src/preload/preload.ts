/**
 * The preload: runs sandboxed, before the page, and gives the page one object, `window.diffstream`,
 * with one function per IPC channel. The page never sees `ipcRenderer` itself, so it cannot send
 * on any other channel. Bundled as CommonJS (sandboxed preloads cannot be ES modules).
 */
import { BRIDGE_KEY, IPC, type Bridge } from '../shared/ipc.js'

interface PreloadElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void }
  ipcRenderer: { invoke(channel: string, ...args: unknown[]): Promise<unknown> }
}

// Loaded with require so that type-checking does not need Electron's types.
const { contextBridge, ipcRenderer } = require('electron') as PreloadElectron

const bridge: Bridge = {
  info: () => ipcRenderer.invoke(IPC.info) as ReturnType<Bridge['info']>,
  saveJson: (suggestedName, text) =>
    ipcRenderer.invoke(IPC.saveJson, suggestedName, text) as ReturnType<Bridge['saveJson']>,
  openJson: () => ipcRenderer.invoke(IPC.openJson) as ReturnType<Bridge['openJson']>,
  credentialsSave: (key, value) =>
    ipcRenderer.invoke(IPC.credentialsSave, key, value) as ReturnType<Bridge['credentialsSave']>,
  credentialsLoad: (key) => ipcRenderer.invoke(IPC.credentialsLoad, key) as ReturnType<Bridge['credentialsLoad']>,
  pendingInvite: () => ipcRenderer.invoke(IPC.pendingInvite) as ReturnType<Bridge['pendingInvite']>,
}

contextBridge.exposeInMainWorld(BRIDGE_KEY, Object.freeze(bridge))
