/**
 * The one place that names the IPC channels between the Electron main process and the preload,
 * and the shape of what the preload exposes to the renderer. Main, preload and renderer all import
 * it, so a channel cannot be renamed on one side only.
 */

/** Where other machines can reach this one. */
export interface LanAddress {
  /** The interface name (`eth0`, `en0`, `Wi-Fi`). */
  iface: string
  address: string
  /** The app in a browser (web mode): `http://address:port/`. */
  appUrl: string
  /** The embedded signaling server, or null when none is embedded. */
  signalingUrl: string | null
}

/** What the renderer learns from its host: the default signaling server and the LAN addresses. */
export interface AppInfo {
  version: string
  mode: 'electron' | 'web'
  /** The embedded signaling server as this renderer reaches it, or null when none runs. */
  signalingUrl: string | null
  lan: LanAddress[]
  /** Things the user should know about how the app was started (a port that was taken). */
  notices: string[]
}

export type SaveResult = { saved: true; path: string } | { saved: false }
/** Whether TURN credentials were stored encrypted; when not, why (the app then keeps them for the session only). */
export type CredentialsSaveResult = { saved: true } | { saved: false; reason: string }
export type OpenResult = { opened: true; name: string; text: string } | { opened: false }

/** Channel names; the preload exposes exactly one function per channel. */
export const IPC = {
  info: 'diffstream:info',
  saveJson: 'diffstream:save-json',
  openJson: 'diffstream:open-json',
  credentialsSave: 'diffstream:credentials-save',
  credentialsLoad: 'diffstream:credentials-load',
  pendingInvite: 'diffstream:pending-invite',
} as const

export type IpcChannel = (typeof IPC)[keyof typeof IPC]

/** Arguments and result of each channel, as `ipcRenderer.invoke` sends them. */
export interface IpcContract {
  [IPC.info]: { args: []; result: AppInfo }
  [IPC.saveJson]: { args: [suggestedName: string, text: string]; result: SaveResult }
  [IPC.openJson]: { args: []; result: OpenResult }
  /** Stores (or, with null, forgets) a room's credentials, encrypted with Electron's safeStorage. */
  [IPC.credentialsSave]: { args: [key: string, value: string | null]; result: CredentialsSaveResult }
  [IPC.credentialsLoad]: { args: [key: string]; result: string | null }
  /** The `diffstream://join?code=…` link the app was opened with since the last call, or null. */
  [IPC.pendingInvite]: { args: []; result: string | null }
}

/** The global the preload defines in the renderer (`window.diffstream`). */
export const BRIDGE_KEY = 'diffstream'

/** What `window.diffstream` offers: one function per channel, nothing else. */
export type Bridge = {
  [K in keyof typeof IPC]: (
    ...args: IpcContract[(typeof IPC)[K]]['args']
  ) => Promise<IpcContract[(typeof IPC)[K]]['result']>
}

/** Largest JSON file the app saves or opens through the main process. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024
/** Longest key (room and signaling URLs) and value (the credentials as JSON) of the credential store. */
export const MAX_CREDENTIAL_KEY = 4096
export const MAX_CREDENTIAL_VALUE = 16 * 1024
