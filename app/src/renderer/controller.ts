/**
 * The renderer's state and the actions the views call. It only assembles the parts, each with
 * one job: the room's lifecycle (room-session.ts), what the room does (room-monitor.ts), its
 * records (records-actions.ts), private rooms and invites (invites.ts). Views read the store,
 * listen on the bus and call the actions here; only these parts touch the room.
 */
import type { JsonObject } from '@diffstream/core'
import { Bus } from './bus.js'
import type { Host } from './host.js'
import { Invites, type InviteJoinParams } from './invites.js'
import type { Platform } from './platform.js'
import { loadRecent, type RoomEntry } from './recent.js'
import { RecordActions } from './records-actions.js'
import { RoomMonitor } from './room-monitor.js'
import { RoomSession } from './room-session.js'
import { INITIAL_STATUS, type AppEvents, type AppState, type InviteView, type JoinParams, type Toast } from './state.js'
import { Store } from './store.js'

export { KEY_NAME } from './records-actions.js'
export type * from './state.js'

/** Where an invite link puts its code in web mode: `http://host:4480/#invite=…`. */
const INVITE_HASH = /(?:^#|&)invite=([^&]+)/

export class Controller implements Host {
  readonly store: Store<AppState>
  readonly bus = new Bus<AppEvents>()
  private readonly monitor: RoomMonitor
  private readonly session: RoomSession
  private readonly recordActions: RecordActions
  private readonly invites: Invites
  private nextToast = 1

  constructor(
    readonly platform: Platform,
    local: Storage,
    session: Storage,
  ) {
    this.store = new Store<AppState>({
      info: null,
      phase: 'join',
      joinError: null,
      room: null,
      status: INITIAL_STATUS,
      selected: null,
      search: '',
      editorMode: 'tree',
      passwordWarning: null,
      toasts: [],
      progress: null,
      version: 0,
      peers: [],
      samples: [],
      recent: loadRecent(local),
      invite: null,
      pendingInvite: null,
    })
    this.monitor = new RoomMonitor(this)
    this.session = new RoomSession(this, this.monitor, local, session)
    this.recordActions = new RecordActions(this, this.monitor, () => this.session.current?.room ?? null)
    this.invites = new Invites(this, this.session)
  }

  get state(): AppState {
    return this.store.state
  }

  /**
   * Loads the host's info; an invite in the address (`#invite=`) fills in the join screen,
   * otherwise the room this tab was in before a reload is joined again.
   */
  async start(hash = ''): Promise<void> {
    const info = await this.platform.info()
    this.store.set({ info })
    const invite = INVITE_HASH.exec(hash)?.[1]
    if (invite) return this.store.set({ pendingInvite: decodeURIComponent(invite) })
    if (await this.checkPendingInvite()) return
    await this.session.resume()
  }

  /**
   * Asks the host for a `diffstream://` invite link the app was opened with (the desktop app
   * registers the scheme); one that arrives fills in the join screen. Returns whether one came.
   */
  async checkPendingInvite(): Promise<boolean> {
    const link = await this.platform.pendingInvite().catch(() => null)
    if (!link) return false
    this.store.set({ pendingInvite: link })
    if (this.state.phase === 'room')
      this.toast('info', 'An invite link arrived: leave this room to join the room it invites you to.')
    return true
  }

  // --- rooms --------------------------------------------------------------------------------

  /** Joins an open room (name and password, no writer list), as y-webrtc peers do. */
  join(params: JoinParams): Promise<boolean> {
    return this.session.join(params)
  }

  /** Creates a private room with this device as its writer. */
  createRoom(params: Omit<JoinParams, 'access'>): Promise<void> {
    return this.invites.createRoom(params)
  }

  joinInvite(code: string, params: InviteJoinParams): Promise<void> {
    return this.invites.joinInvite(code, params)
  }

  rejoin(entry: RoomEntry, name: string): Promise<void> {
    return this.session.rejoin(entry, name)
  }

  showInvite(kind: InviteView['kind']): void {
    this.invites.show(kind)
  }

  closeInvite(): void {
    this.invites.close()
  }

  leave(): Promise<void> {
    return this.session.leave()
  }

  closeForUnload(): Promise<void> {
    return this.session.closeForUnload()
  }

  forgetRecent(entry: RoomEntry): void {
    this.session.forgetRecent(entry)
  }

  loadCredentials(entry: RoomEntry): Promise<string[] | null> {
    return this.session.loadCredentials(entry)
  }

  toggleOnline(): void {
    this.session.toggleOnline()
  }

  // --- records ------------------------------------------------------------------------------

  records(): Array<{ id: string; data: JsonObject }> {
    return this.recordActions.records()
  }

  recordIds(): readonly string[] {
    return this.recordActions.recordIds()
  }

  get(id: string): JsonObject | undefined {
    return this.recordActions.get(id)
  }

  get recordCount(): number {
    return this.recordActions.count
  }

  /** Whether this device may write in the room (false: a read-only member of a private room). */
  get canWrite(): boolean {
    return this.state.room !== null && this.state.room.access !== 'read-only'
  }

  select(id: string | null): void {
    this.recordActions.select(id)
  }

  createRecord(keyText: string): boolean {
    return this.recordActions.create(keyText)
  }

  editRecord(id: string, edit: (current: JsonObject) => JsonObject): boolean {
    return this.recordActions.edit(id, edit)
  }

  deleteRecord(id: string): void {
    this.recordActions.delete(id)
  }

  importFile(): Promise<void> {
    return this.recordActions.importFile()
  }

  exportFile(): Promise<void> {
    return this.recordActions.exportFile()
  }

  setSearch(search: string): void {
    this.store.set({ search })
  }

  setEditorMode(editorMode: AppState['editorMode']): void {
    this.store.set({ editorMode })
  }

  // --- messages -----------------------------------------------------------------------------

  toast(kind: Toast['kind'], text: string): void {
    const toast = { id: this.nextToast++, kind, text }
    this.store.set({ toasts: [...this.state.toasts, toast].slice(-4) })
    setTimeout(() => this.dismiss(toast.id), kind === 'error' ? 8000 : 5000)
  }

  dismiss(id: number): void {
    this.store.set({ toasts: this.state.toasts.filter((t) => t.id !== id) })
  }

  fail(message: string): false {
    this.toast('error', message)
    return false
  }
}
