/**
 * Parts of `@diffstream/core` that are being added while the app is written: persistence
 * (`openIndexedDbStore`, `joinRoom(name, { store })`, `room.whenStored()`, `status.saved`) and going
 * offline (`room.setOnline()`, `status.online`). The app uses each one when the core has it and
 * says so in the UI when it does not.
 */
import * as core from '@diffstream/core'
import type { JsonObject, Room, RoomOptions, RoomStatus } from '@diffstream/core'

/** What the app needs of a `DocStore`. */
export interface StoreHandle {
  close(): Promise<void>
}

interface CoreExtras {
  openIndexedDbStore?: (name: string) => Promise<StoreHandle>
}

interface RoomExtras {
  setOnline?: (online: boolean) => void
  whenStored?: () => Promise<void>
}

/** The room status with the fields that newer cores add. */
export type StatusView = RoomStatus & { online?: boolean; saved?: boolean }

const extras = (): CoreExtras => core as unknown as CoreExtras

export function canPersist(): boolean {
  return typeof extras().openIndexedDbStore === 'function' && typeof indexedDB !== 'undefined'
}

/** Opens the room's store (IndexedDB database `diffstream:<room>`). */
export async function openStore(name: string): Promise<StoreHandle | null> {
  const open = extras().openIndexedDbStore
  return open ? open(name) : null
}

export function roomOptionsWithStore(options: RoomOptions, store: StoreHandle | null): RoomOptions {
  return store ? ({ ...options, store } as RoomOptions) : options
}

export function canGoOffline(room: Room<JsonObject>): boolean {
  return typeof (room as unknown as RoomExtras).setOnline === 'function'
}

export function setOnline(room: Room<JsonObject>, online: boolean): void {
  const f = (room as unknown as RoomExtras).setOnline
  if (typeof f !== 'function') throw new Error('this version of @diffstream/core cannot go offline (no room.setOnline)')
  f.call(room, online)
}

/** Resolves once every write so far is durable, or null when the core cannot tell. */
export function whenStored(room: Room<JsonObject>): Promise<void> | null {
  const f = (room as unknown as RoomExtras).whenStored
  return typeof f === 'function' ? f.call(room) : null
}

/** Whether the room keeps its data in the store it was given (it can say when writes are durable). */
export function canReportStored(room: Room<JsonObject>): boolean {
  return typeof (room as unknown as RoomExtras).whenStored === 'function' || 'saved' in room.status
}

export function statusOf(room: Room<JsonObject>): StatusView {
  return room.status as StatusView
}
