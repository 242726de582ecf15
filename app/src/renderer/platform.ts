/**
 * What the renderer needs from its host, in Electron (through the preload's `window.diffstream`)
 * or in a browser (web mode: `/api/info`, a download link and a file picker).
 */
import {
  BRIDGE_KEY,
  type AppInfo,
  type Bridge,
  type CredentialsSaveResult,
  type OpenResult,
  type SaveResult,
} from '../shared/ipc.js'

export interface Platform {
  readonly mode: AppInfo['mode']
  info(): Promise<AppInfo>
  saveJson(suggestedName: string, text: string): Promise<SaveResult>
  openJson(): Promise<OpenResult>
  /**
   * Keeps a room's TURN credentials: encrypted by the operating system in Electron, for this
   * tab's life only in web mode (never in localStorage).
   */
  saveCredentials(key: string, credentials: string[]): Promise<CredentialsSaveResult>
  loadCredentials(key: string): Promise<string[] | null>
  /**
   * Keeps (or, with null, forgets) a secret text, such as a private room's keys: in the same store
   * and on the same terms as the TURN credentials.
   */
  saveSecret(key: string, value: string | null): Promise<CredentialsSaveResult>
  loadSecret(key: string): Promise<string | null>
  /** A `diffstream://join?code=…` link the desktop app was opened with since the last call (web mode: none). */
  pendingInvite(): Promise<string | null>
}

function credentialList(text: string | null): string[] | null {
  if (text === null) return null
  try {
    const list: unknown = JSON.parse(text)
    return Array.isArray(list) && list.every((c) => typeof c === 'string') ? list : null
  } catch {
    return null
  }
}

const OFFLINE_INFO: AppInfo = { version: '', mode: 'web', signalingUrl: null, lan: [], notices: [] }

function bridge(): Bridge | null {
  const candidate = (globalThis as Record<string, unknown>)[BRIDGE_KEY]
  return candidate && typeof candidate === 'object' ? (candidate as Bridge) : null
}

function electronPlatform(api: Bridge): Platform {
  return {
    mode: 'electron',
    info: () => api.info(),
    saveJson: (name, text) => api.saveJson(name, text),
    openJson: () => api.openJson(),
    saveCredentials: (key, credentials) =>
      api.credentialsSave(key, credentials.some((c) => c !== '') ? JSON.stringify(credentials) : null),
    loadCredentials: async (key) => credentialList(await api.credentialsLoad(key)),
    saveSecret: (key, value) => api.credentialsSave(key, value),
    loadSecret: (key) => api.credentialsLoad(key),
    pendingInvite: () => api.pendingInvite(),
  }
}

/** Web mode: the tab's memory (the session entry in sessionStorage also holds the current room's). */
const tabCredentials = new Map<string, string[]>()
const tabSecrets = new Map<string, string>()
const TAB_ONLY = 'in a browser, credentials are kept for this tab only'

const webPlatform: Platform = {
  mode: 'web',
  async saveCredentials(key, credentials) {
    tabCredentials.set(key, [...credentials])
    return { saved: false, reason: TAB_ONLY }
  },
  async loadCredentials(key) {
    return tabCredentials.get(key) ?? null
  },
  async saveSecret(key, value) {
    if (value === null) tabSecrets.delete(key)
    else tabSecrets.set(key, value)
    return { saved: false, reason: TAB_ONLY }
  },
  async loadSecret(key) {
    return tabSecrets.get(key) ?? null
  },
  async pendingInvite() {
    return null
  },
  async info() {
    try {
      const res = await fetch('./api/info', { cache: 'no-store' })
      if (!res.ok) return OFFLINE_INFO
      return (await res.json()) as AppInfo
    } catch {
      // Served by some other static server: the user types the signaling URL.
      return OFFLINE_INFO
    }
  },
  async saveJson(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }))
    const a = document.createElement('a')
    a.href = url
    a.download = name
    a.hidden = true
    document.body.append(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 60_000)
    return { saved: true, path: name }
  },
  openJson() {
    return new Promise<OpenResult>((resolve) => {
      const input = document.createElement('input')
      input.type = 'file'
      input.accept = 'application/json,.json'
      input.hidden = true
      input.dataset.testid = 'import-file'
      document.body.append(input)
      const done = (result: OpenResult): void => {
        input.remove()
        resolve(result)
      }
      input.addEventListener('cancel', () => done({ opened: false }))
      input.addEventListener('change', () => {
        const file = input.files?.[0]
        if (!file) return done({ opened: false })
        file.text().then(
          (text) => done({ opened: true, name: file.name, text }),
          () => done({ opened: false }),
        )
      })
      input.click()
    })
  },
}

export function detectPlatform(): Platform {
  const api = bridge()
  return api ? electronPlatform(api) : webPlatform
}
