/**
 * The app's security policy as plain data and pure functions, so that it can be tested without
 * Electron: the Content-Security-Policy, the window's web preferences, which navigations and new
 * windows are allowed, which permissions and IPC senders are trusted.
 */
import { IMPORT_MAP_HASH } from './page.js'

/**
 * Scripts and styles only from the app's own origin (plus the hashed import map), no inline code,
 * no eval, no plugins, no frames. `connect-src` allows any ws:/wss: because the user may point
 * the app at any signaling server, and http:/https: for the same servers' `GET /ice` (their STUN
 * and TURN servers); WebRTC itself is not governed by CSP.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'self' ${IMPORT_MAP_HASH}`,
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' ws: wss: http: https:",
  "manifest-src 'self'",
  "worker-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Headers sent with every page and asset of the renderer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
}

/** The subset of Electron's `WebPreferences` the app sets (Electron's types are not installed here). */
export interface AppWebPreferences {
  preload: string
  contextIsolation: true
  sandbox: true
  nodeIntegration: false
  nodeIntegrationInWorker: false
  nodeIntegrationInSubFrames: false
  webSecurity: true
  allowRunningInsecureContent: false
  webviewTag: false
  experimentalFeatures: false
  navigateOnDragDrop: false
  safeDialogs: true
  spellcheck: boolean
}

/** The subset of Electron's `BrowserWindowConstructorOptions` the app sets. */
export interface AppWindowOptions {
  width: number
  height: number
  minWidth: number
  minHeight: number
  title: string
  show: boolean
  backgroundColor: string
  autoHideMenuBar: boolean
  webPreferences: AppWebPreferences
}

/**
 * The main window's options. The renderer gets no Node.js: it is isolated from the preload
 * (contextIsolation), runs in Chromium's sandbox, and talks to the main process only through the
 * functions the preload exposes.
 */
export function windowOptions(preloadPath: string): AppWindowOptions {
  if (!preloadPath) throw new Error('the preload path is required')
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'DiffStream',
    // Shown once the page has painted, so the user never sees a white flash.
    show: false,
    backgroundColor: '#0f1420',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
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
    },
  }
}

function originOf(url: string): string | null {
  try {
    const u = new URL(url)
    return u.origin === 'null' ? null : u.origin
  } catch {
    return null
  }
}

/** The window may only ever show the app itself: a navigation elsewhere is refused. */
export function isAllowedNavigation(url: string, appOrigin: string): boolean {
  const origin = originOf(url)
  return origin !== null && origin === originOf(appOrigin)
}

/** Only the app's own page may call into the main process. */
export function isTrustedSender(senderUrl: string, appOrigin: string): boolean {
  return isAllowedNavigation(senderUrl, appOrigin)
}

/** Links the app may hand to the system browser: plain web pages only, never file: or custom schemes. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url)
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === ''
  } catch {
    return false
  }
}

/**
 * What to do when the page asks for a new window (`window.open`, `target=_blank`): never a new
 * Electron window; a web link goes to the system browser instead.
 */
export function newWindowPolicy(url: string): { action: 'deny'; openExternally: string | null } {
  return { action: 'deny', openExternally: isExternalLink(url) ? url : null }
}

/** Permissions the renderer may get: copying the LAN address to the clipboard, nothing else. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write'])

export function isPermissionAllowed(permission: string, requestingUrl: string, appOrigin: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && isAllowedNavigation(requestingUrl, appOrigin)
}
