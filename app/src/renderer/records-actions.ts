/**
 * The records of the joined room: reading them in order, and the writes (create, edit, delete,
 * import, export). A read-only device is told so before anything is tried.
 */
import type { JsonObject, Room } from '@diffstream/core'
import { errorText, type Host } from './host.js'
import { TreeError } from './json-tree.js'
import { exportFileName, exportJson, ImportError, parseImport } from './records-io.js'
import type { RoomMonitor } from './room-monitor.js'
import { SortedIds } from './sort-ids.js'

export const KEY_NAME = 'key'
/** How many imported records are written per task: one merged update per batch, and the page stays responsive. */
const IMPORT_BATCH = 250
const READ_ONLY = 'This device can only read in this room: ask a writer for a writer invite to edit.'

export class RecordActions {
  private readonly sortedIds = new SortedIds()
  private sortedFor: Room<JsonObject> | null = null

  constructor(
    private readonly host: Host,
    private readonly monitor: RoomMonitor,
    private readonly room: () => Room<JsonObject> | null,
  ) {
    host.bus.on('change', ({ id, cmd }) => {
      if (cmd === 'new') this.sortedIds.add(id)
      else if (cmd === 'del') this.sortedIds.remove(id)
    })
  }

  private get canWrite(): boolean {
    return this.host.store.state.room?.access !== 'read-only'
  }

  /** Every record, sorted by key (numbers in numeric order). */
  records(): Array<{ id: string; data: JsonObject }> {
    const out: Array<{ id: string; data: JsonObject }> = []
    for (const id of this.recordIds()) {
      const data = this.get(id)
      if (data) out.push({ id, data })
    }
    return out
  }

  /**
   * The ids of every record, sorted by key (numbers in numeric order). Sorted again only when
   * records came or went: a room of 50 000 records re-renders its list often while it syncs.
   */
  recordIds(): readonly string[] {
    const room = this.room()
    if (!room) return []
    if (this.sortedFor !== room) {
      this.sortedIds.reset()
      this.sortedFor = room
    }
    return this.sortedIds.ids(() => Array.from(room.cache.keys(), String))
  }

  get(id: string): JsonObject | undefined {
    return this.room()?.cache.get(id)
  }

  get count(): number {
    return this.room()?.cache.size ?? 0
  }

  select(id: string | null): void {
    this.host.store.set({ selected: id })
  }

  create(keyText: string): boolean {
    const key = keyText.trim()
    const room = this.room()
    if (!room) return false
    if (!this.canWrite) return this.host.fail(READ_ONLY)
    if (!key) return this.host.fail('Type a key for the new record.')
    if (room.cache.has(key)) {
      this.select(key)
      return this.host.fail(`A record "${key}" exists already; it is selected.`)
    }
    if (!this.write({ [KEY_NAME]: key })) return false
    this.select(key)
    this.host.bus.emit('focus', { testid: 'new-field-name' })
    return true
  }

  /** Applies `edit` to the freshest copy of record `id` and writes the result (only what changed travels). */
  edit(id: string, edit: (current: JsonObject) => JsonObject): boolean {
    if (!this.canWrite) return this.host.fail(READ_ONLY)
    const current = this.get(id)
    if (!current) return this.host.fail(`Record "${id}" no longer exists.`)
    let next: JsonObject
    try {
      next = edit(current)
    } catch (err) {
      return this.host.fail(err instanceof TreeError ? err.message : errorText(err))
    }
    return this.write(next)
  }

  delete(id: string): void {
    if (!this.canWrite) return void this.host.fail(READ_ONLY)
    try {
      this.room()?.cache.delete(id)
      if (this.host.store.state.selected === id) this.select(null)
    } catch (err) {
      this.host.fail(errorText(err))
    }
  }

  private write(record: JsonObject): boolean {
    try {
      this.room()?.cache.update(record)
      return true
    } catch (err) {
      return this.host.fail(errorText(err))
    }
  }

  async importFile(): Promise<void> {
    const room = this.room()
    if (!room || this.monitor.importing) return
    if (!this.canWrite) return void this.host.fail(READ_ONLY)
    const file = await this.host.platform.openJson()
    if (!file.opened) return
    let records: JsonObject[]
    try {
      records = parseImport(file.text, KEY_NAME)
    } catch (err) {
      this.host.fail(err instanceof ImportError ? err.message : errorText(err))
      return
    }
    this.monitor.importing = true
    let refused = 0
    let firstError = ''
    try {
      for (let i = 0; i < records.length; i += IMPORT_BATCH) {
        if (this.room() !== room) return
        this.host.store.set({
          progress: { label: `Importing ${file.name}: ${i} of ${records.length} records`, value: i / records.length },
        })
        for (const record of records.slice(i, i + IMPORT_BATCH)) {
          try {
            room.cache.update(record)
          } catch (err) {
            refused++
            firstError ||= `${String(record[KEY_NAME])}: ${errorText(err)}`
          }
        }
        await new Promise((r) => setTimeout(r, 0))
      }
    } finally {
      this.monitor.importing = false
      this.host.store.set({ progress: null })
      this.monitor.updateProgress()
    }
    const done = `Imported ${records.length - refused} records from ${file.name}.`
    if (refused) this.host.toast('warning', `${done} ${refused} were refused (${firstError}).`)
    else this.host.toast('info', done)
  }

  async exportFile(): Promise<void> {
    const view = this.host.store.state.room
    if (!this.room() || !view) return
    const records = this.records().map((r) => r.data)
    const result = await this.host.platform.saveJson(exportFileName(view.name), exportJson(records, KEY_NAME))
    if (result.saved) this.host.toast('info', `Exported ${records.length} records to ${result.path}.`)
  }
}
