/** The room's records: search, create, select; remote changes flash briefly. */
import { KEY_NAME, type Controller } from '../controller.js'
import { coalesce, flash, h, lockEdits, replaceChildren } from '../dom.js'
import { summary } from '../format.js'
import type { View } from './view.js'
import type { JsonObject } from '@diffstream/core'

/** More rows than this are not drawn; the search narrows them down. */
const MAX_ROWS = 500

export function recordsView(ctl: Controller): View {
  const search = h('input', {
    class: 'search',
    testid: 'record-search',
    data: { view: 'yes' },
    attrs: {
      type: 'search',
      placeholder: 'Search keys and values',
      'aria-label': 'Search records',
      value: ctl.state.search,
    },
    on: { input: () => ctl.setSearch(search.value) },
  })
  const newKey = h('input', {
    testid: 'new-record-key',
    attrs: { placeholder: 'New record key', 'aria-label': 'Key of a new record', autocomplete: 'off' },
  })
  const create = h('form', {
    class: 'new-record',
    on: {
      submit: (e) => {
        e.preventDefault()
        if (ctl.createRecord(newKey.value)) newKey.value = ''
      },
    },
  })
  create.append(
    newKey,
    h('button', { class: 'btn btn-primary', testid: 'new-record-create', text: 'Add', attrs: { type: 'submit' } }),
  )

  const count = h('span', { class: 'badge', testid: 'record-count' })
  const list = h('ul', {
    class: 'record-list',
    testid: 'record-list',
    attrs: { role: 'listbox', 'aria-label': 'Records' },
  })
  const more = h('p', { class: 'muted small' })
  const pendingFlash = new Set<string>()

  const render = (): void => {
    const { search: query, selected } = ctl.state
    const q = query.trim().toLowerCase()
    // Records are read (copied) only for the rows drawn, or to search their values.
    const all = ctl.recordIds()
    const shown = q
      ? all.filter(
          (id) =>
            id.toLowerCase().includes(q) ||
            JSON.stringify(ctl.get(id) ?? {})
              .toLowerCase()
              .includes(q),
        )
      : all
    count.textContent = q ? `${shown.length} / ${all.length}` : String(all.length)
    const drawn: Array<{ id: string; data: JsonObject }> = []
    for (const id of shown.slice(0, MAX_ROWS)) {
      const data = ctl.get(id)
      if (data) drawn.push({ id, data })
    }
    const rows = drawn.map((r) => {
      const item = h(
        'li',
        {
          class: `record-item${r.id === selected ? ' selected' : ''}`,
          testid: 'record-item',
          data: { key: r.id },
          attrs: { role: 'option', 'aria-selected': r.id === selected, tabindex: 0 },
          on: {
            click: () => ctl.select(r.id),
            keydown: (e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault()
                ctl.select(r.id)
              }
            },
          },
        },
        h('span', { class: 'record-key', text: r.id }),
        h('span', { class: 'record-summary', text: summary(r.data, KEY_NAME) }),
      )
      if (pendingFlash.has(r.id)) flash(item)
      return item
    })
    pendingFlash.clear()
    if (rows.length === 0)
      rows.push(
        h('li', {
          class: 'empty',
          testid: 'record-empty',
          text: q ? 'No record matches.' : 'No records yet. Add one above, or import a JSON file.',
        }),
      )
    replaceChildren(list, ...rows)
    more.textContent = shown.length > MAX_ROWS ? `Showing ${MAX_ROWS} of ${shown.length}; search to narrow down.` : ''
  }
  const schedule = coalesce(render)
  render()

  const el = h(
    'aside',
    { class: 'panel records', testid: 'records-panel' },
    h('div', { class: 'panel-head' }, h('h2', { text: 'Records' }), count),
    search,
    create,
    ctl.canWrite
      ? null
      : h('p', {
          class: 'read-only-note',
          testid: 'read-only-note',
          text: 'Read-only: this device receives the records and cannot change them.',
        }),
    list,
    more,
  )
  if (!ctl.canWrite) lockEdits(create)
  const off = [
    ctl.store.watch(['version', 'search', 'selected'], schedule),
    ctl.bus.on('change', ({ id, origin, deleted }) => {
      if (origin === 'remote' && !deleted) pendingFlash.add(id)
    }),
    ctl.bus.on('focus', ({ testid }) => {
      if (testid === 'new-record-key') newKey.focus()
    }),
  ]
  return { el, dispose: () => off.forEach((o) => o()) }
}
