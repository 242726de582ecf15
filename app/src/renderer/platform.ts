/**
 * What the renderer needs from its host, in Electron (through the preload's `window.diffstream`)
 * or in a browser (web mode: `/api/info`, a download link and a file picker).
 */
import { BRIDGE_KEY, type AppInfo, type Bridge, type OpenResult, type SaveResult } from '../shared/ipc.js'

export interface Platform {
  readonly mode: AppInfo['mode']
  info(): Promise<AppInfo>
  saveJson(suggestedName: string, text: string): Promise<SaveResult>
  openJson(): Promise<OpenResult>
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
  }
}

const webPlatform: Platform = {
  mode: 'web',
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
