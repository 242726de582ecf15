/** What the controller's parts share: the store, the bus, the platform and the messages. */
import type { Bus } from './bus.js'
import type { Platform } from './platform.js'
import type { AppEvents, AppState, Toast } from './state.js'
import type { Store } from './store.js'

export interface Host {
  readonly store: Store<AppState>
  readonly bus: Bus<AppEvents>
  readonly platform: Platform
  toast(kind: Toast['kind'], text: string): void
  /** Shows `message` as an error; returns false so that actions can `return host.fail(…)`. */
  fail(message: string): false
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
