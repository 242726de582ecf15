/**
 * The main process's IPC handlers, one per channel of `IPC`. Everything the renderer sends is
 * treated as hostile: the sender's origin is checked, every argument is type- and size-checked,
 * and the only file paths used are the ones the user picked in a native dialog.
 */
import { basename } from 'node:path'
import { readFile, stat, writeFile } from 'node:fs/promises'
import {
  IPC,
  MAX_CREDENTIAL_KEY,
  MAX_CREDENTIAL_VALUE,
  MAX_FILE_BYTES,
  type AppInfo,
  type CredentialsSaveResult,
  type IpcChannel,
  type IpcContract,
} from '../shared/ipc.js'
import { isTrustedSender } from './security.js'

/** The pieces of the outside world the handlers use; Electron's dialogs and shell in the app. */
export interface HandlerDeps {
  /** The app's origin (`http://127.0.0.1:PORT`); calls from any other page are refused. */
  appOrigin: string
  info(): AppInfo
  /** A native "save as" dialog; null when the user cancels. */
  chooseSavePath(suggestedName: string): Promise<string | null>
  /** A native "open" dialog for JSON files; null when the user cancels. */
  chooseOpenPath(): Promise<string | null>
  /** Encrypted storage for TURN credentials (Electron's safeStorage, see credentials.ts). */
  credentials?: {
    save(key: string, value: string | null): Promise<CredentialsSaveResult>
    load(key: string): Promise<string | null>
  }
  /** The `diffstream://` link the app was opened with, handed out once (deep-link.ts). */
  pendingInvite?(): string | null
  writeFile?(path: string, text: string): Promise<void>
  readFile?(path: string): Promise<string>
  fileSize?(path: string): Promise<number>
}

/** Who called: the URL of the frame that sent the message. */
export interface IpcSender {
  url: string
}

export type IpcHandler<C extends IpcChannel> = (
  sender: IpcSender,
  ...args: unknown[]
) => Promise<IpcContract[C]['result']>

export type IpcHandlers = { [C in IpcChannel]: IpcHandler<C> }

/** A call the main process refused; the renderer sees its message. */
export class IpcInputError extends Error {
  override name = 'IpcInputError'
}

const MAX_NAME = 200

function fileName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME) {
    throw new IpcInputError(`the file name must be a string of 1 to ${MAX_NAME} characters`)
  }
  // Only a name is suggested to the dialog: a path from the renderer never picks the directory.
  const name = basename(value.replace(/\\/g, '/'))
    .replace(/[\u0000-\u001f<>:"|?*]/g, '_')
    .trim()
  if (!name || name === '.' || name === '..') throw new IpcInputError('the file name is empty')
  return name.toLowerCase().endsWith('.json') ? name : `${name}.json`
}

function jsonText(value: unknown): string {
  if (typeof value !== 'string') throw new IpcInputError('the file content must be a string')
  if (Buffer.byteLength(value) > MAX_FILE_BYTES)
    throw new IpcInputError(`the file is larger than ${MAX_FILE_BYTES} bytes`)
  return value
}

function boundedText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new IpcInputError(`${what} must be a string of 1 to ${max} characters`)
  return value
}

function noArgs(args: unknown[]): void {
  if (args.length !== 0) throw new IpcInputError('this call takes no arguments')
}

export function createIpcHandlers(deps: HandlerDeps): IpcHandlers {
  const write = deps.writeFile ?? ((path: string, text: string) => writeFile(path, text, 'utf8'))
  const read = deps.readFile ?? ((path: string) => readFile(path, 'utf8'))
  const size = deps.fileSize ?? (async (path: string) => (await stat(path)).size)
  const trusted = (sender: IpcSender): void => {
    if (!isTrustedSender(sender.url, deps.appOrigin))
      throw new IpcInputError(`refused a call from ${sender.url || 'an unknown page'}`)
  }

  return {
    async [IPC.info](sender, ...args) {
      trusted(sender)
      noArgs(args)
      return deps.info()
    },
    async [IPC.saveJson](sender, ...args) {
      trusted(sender)
      if (args.length !== 2) throw new IpcInputError('saveJson takes a file name and the text')
      const name = fileName(args[0])
      const text = jsonText(args[1])
      const path = await deps.chooseSavePath(name)
      if (!path) return { saved: false }
      await write(path, text)
      return { saved: true, path }
    },
    async [IPC.openJson](sender, ...args) {
      trusted(sender)
      noArgs(args)
      const path = await deps.chooseOpenPath()
      if (!path) return { opened: false }
      if ((await size(path)) > MAX_FILE_BYTES)
        throw new IpcInputError(`the file is larger than ${MAX_FILE_BYTES} bytes`)
      return { opened: true, name: basename(path), text: await read(path) }
    },
    async [IPC.credentialsSave](sender, ...args) {
      trusted(sender)
      if (args.length !== 2) throw new IpcInputError('credentialsSave takes a key and a value (or null)')
      const key = boundedText(args[0], 'the key', MAX_CREDENTIAL_KEY)
      const value = args[1] === null ? null : boundedText(args[1], 'the value', MAX_CREDENTIAL_VALUE)
      if (!deps.credentials) return { saved: false, reason: 'this app keeps credentials for the session only' }
      return deps.credentials.save(key, value)
    },
    async [IPC.credentialsLoad](sender, ...args) {
      trusted(sender)
      if (args.length !== 1) throw new IpcInputError('credentialsLoad takes a key')
      const key = boundedText(args[0], 'the key', MAX_CREDENTIAL_KEY)
      return deps.credentials ? deps.credentials.load(key) : null
    },
    async [IPC.pendingInvite](sender, ...args) {
      trusted(sender)
      noArgs(args)
      return deps.pendingInvite?.() ?? null
    },
  }
}
