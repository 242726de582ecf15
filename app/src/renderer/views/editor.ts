/**
 * The record editor: a tree of typed fields (add, remove, rename, retype, edit) and a raw JSON view
 * that validates before it applies. Every edit is applied to the freshest copy of the record, so
 * fields other people changed meanwhile are kept. Fields changed by others flash briefly; what the
 * user is typing survives a re-render.
 */
import type { JsonObject, JsonValue } from '@diffstream/core'
import { KEY_NAME, type Controller } from '../controller.js'
import { coalesce, flash, h, lockEdits, replaceChildren } from '../dom.js'
import {
  addChild,
  changedPaths,
  convert,
  encodePath,
  getAt,
  kindOf,
  KINDS,
  parseRecordJson,
  parseTyped,
  removeAt,
  renameAt,
  setAt,
  TreeError,
  type Kind,
  type Path,
} from '../json-tree.js'
import type { View } from './view.js'

type Editable = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement

interface FocusMemo {
  path: string
  role: string
  value: string
  dirty: boolean
  start: number | null
  end: number | null
}

function typeSelect(kind: Kind, disabled: boolean, onChange: (k: Kind) => void): HTMLSelectElement {
  const select = h('select', {
    class: 'type-select',
    testid: 'field-type',
    data: { role: 'type', committed: kind },
    attrs: { 'aria-label': 'Type', disabled },
    on: { change: () => onChange(select.value as Kind) },
  })
  for (const k of KINDS) select.append(h('option', { text: k, attrs: { value: k, selected: k === kind } }))
  select.value = kind
  return select
}

/** Commits on Enter or when the input loses focus (the 'change' event), not on every key. */
function textInput(
  value: string,
  testid: string,
  role: string,
  label: string,
  commit: (text: string, input: HTMLInputElement) => void,
): HTMLInputElement {
  const input = h('input', {
    class: `cell-input ${role}`,
    testid,
    data: { role, committed: value },
    attrs: { value, 'aria-label': label, spellcheck: 'false', autocomplete: 'off' },
    on: {
      change: () => commit(input.value, input),
      keydown: (e) => {
        if (e.key === 'Enter') input.blur()
        if (e.key === 'Escape') {
          input.value = input.dataset.committed ?? ''
          input.blur()
        }
      },
    },
  })
  return input
}

export function editorView(ctl: Controller): View {
  let shownId: string | null = null
  let shown: JsonObject | null = null
  let pendingFlash = new Set<string>()
  let rawDirty = false

  const title = h('h2', { class: 'editor-key', testid: 'editor-key' })
  const tabTree = h('button', {
    class: 'tab',
    testid: 'editor-tab-tree',
    text: 'Fields',
    data: { view: 'yes' },
    attrs: { type: 'button', role: 'tab' },
    on: { click: () => ctl.setEditorMode('tree') },
  })
  const tabRaw = h('button', {
    class: 'tab',
    testid: 'editor-tab-raw',
    text: 'Raw JSON',
    data: { view: 'yes' },
    attrs: { type: 'button', role: 'tab' },
    on: { click: () => ctl.setEditorMode('raw') },
  })
  let confirmTimer: ReturnType<typeof setTimeout> | null = null
  const del = h('button', {
    class: 'btn btn-danger-ghost',
    testid: 'record-delete',
    text: 'Delete',
    attrs: { type: 'button' },
    on: {
      click: () => {
        if (!shownId) return
        if (del.dataset.confirm !== 'yes') {
          del.dataset.confirm = 'yes'
          del.textContent = 'Confirm delete'
          confirmTimer = setTimeout(resetDelete, 4000)
          return
        }
        resetDelete()
        ctl.deleteRecord(shownId)
      },
    },
  })
  function resetDelete(): void {
    if (confirmTimer) clearTimeout(confirmTimer)
    confirmTimer = null
    delete del.dataset.confirm
    del.textContent = 'Delete'
  }

  // --- the tree -----------------------------------------------------------------------------

  const tree = h('div', { class: 'tree', testid: 'field-tree', attrs: { role: 'tree' } })

  const edit = (op: (r: JsonObject) => JsonObject): boolean => (shownId ? ctl.editRecord(shownId, op) : false)

  const rows = (value: JsonValue, path: Path, depth: number): HTMLElement[] => {
    const kind = kindOf(value)
    const last = path[path.length - 1]
    const isKey = path.length === 1 && last === KEY_NAME
    const encoded = encodePath(path)

    let nameCell: HTMLElement
    if (isKey)
      nameCell = h('span', { class: 'cell-name key-name', title: "The record's key cannot change", text: KEY_NAME })
    else if (typeof last === 'number') nameCell = h('span', { class: 'cell-name index', text: `[${last}]` })
    else {
      nameCell = textInput(String(last), 'field-name', 'name', 'Field name', (text, input) => {
        if (!edit((r) => renameAt(r, path, text.trim(), KEY_NAME))) input.value = input.dataset.committed ?? ''
      })
    }

    let valueCell: HTMLElement
    if (kind === 'string' || kind === 'number') {
      const input = textInput(String(value), 'field-value', 'value', 'Value', (text, el) => {
        try {
          const parsed = parseTyped(text, kind)
          el.classList.remove('invalid')
          edit((r) => setAt(r, path, parsed, KEY_NAME))
        } catch (err) {
          el.classList.add('invalid')
          ctl.toast('error', err instanceof TreeError ? err.message : String(err))
        }
      })
      if (kind === 'number') input.inputMode = 'decimal'
      if (isKey) input.readOnly = true
      valueCell = input
    } else if (kind === 'boolean') {
      const box = h('input', {
        class: 'cell-check',
        testid: 'field-value',
        data: { role: 'value' },
        attrs: { type: 'checkbox', checked: value === true, 'aria-label': 'Value' },
        on: { change: () => edit((r) => setAt(r, path, box.checked, KEY_NAME)) },
      })
      valueCell = h('label', { class: 'cell-bool' }, box, h('span', { text: value ? 'true' : 'false' }))
    } else if (kind === 'null') {
      valueCell = h('span', { class: 'cell-null', testid: 'field-value', text: 'null' })
    } else {
      const size = kind === 'array' ? (value as JsonValue[]).length : Object.keys(value as JsonObject).length
      valueCell = h(
        'span',
        { class: 'cell-container' },
        h('span', {
          class: 'muted',
          text: kind === 'array' ? `${size} item${size === 1 ? '' : 's'}` : `${size} field${size === 1 ? '' : 's'}`,
        }),
        h('button', {
          class: 'btn btn-ghost btn-xs',
          testid: 'field-add',
          text: kind === 'array' ? '+ item' : '+ field',
          attrs: { type: 'button' },
          on: {
            click: () => {
              let added: Path = []
              edit((r) => {
                const target = getAt(r, path)
                const next = addChild(r, path, '')
                added = Array.isArray(target)
                  ? [...path, target.length]
                  : [...path, Object.keys(getAt(next, path) as JsonObject).pop()!]
                return next
              })
              focusAfterRender = {
                path: encodePath(added),
                role: typeof added[added.length - 1] === 'number' ? 'value' : 'name',
              }
            },
          },
        }),
      )
    }

    const row = h(
      'div',
      {
        class: `row kind-${kind}${isKey ? ' key-row' : ''}`,
        testid: 'field-row',
        data: { path: encoded, kind },
        attrs: { role: 'treeitem' },
        style: { '--depth': String(depth) },
      },
      nameCell,
      typeSelect(kind, isKey, (k) => edit((r) => setAt(r, path, convert(getAt(r, path), k), KEY_NAME))),
      valueCell,
      h('button', {
        class: 'btn btn-ghost btn-xs remove',
        testid: 'field-remove',
        text: '✕',
        title: isKey ? 'The key field stays' : 'Remove',
        attrs: { type: 'button', disabled: isKey, 'aria-label': 'Remove field' },
        on: { click: () => edit((r) => removeAt(r, path, KEY_NAME)) },
      }),
    )
    const out: HTMLElement[] = [row]
    if (kind === 'object')
      for (const [k, v] of Object.entries(value as JsonObject))
        out.push(...rows(v as JsonValue, [...path, k], depth + 1))
    if (kind === 'array') (value as JsonValue[]).forEach((v, i) => out.push(...rows(v, [...path, i], depth + 1)))
    return out
  }

  // --- adding a field to the record ---------------------------------------------------------

  const newName = h('input', {
    testid: 'new-field-name',
    attrs: { placeholder: 'field name', 'aria-label': 'New field name', autocomplete: 'off' },
  })
  const newType = typeSelect('string', false, () => syncNewValue())
  newType.dataset.testid = 'new-field-type'
  const newValue = h('input', {
    testid: 'new-field-value',
    attrs: { placeholder: 'value', 'aria-label': 'New field value', autocomplete: 'off' },
  })
  const syncNewValue = (): void => {
    const k = newType.value as Kind
    newValue.disabled = k === 'null' || k === 'object' || k === 'array'
    newValue.placeholder = k === 'boolean' ? 'true or false' : newValue.disabled ? '' : 'value'
  }
  const addForm = h('form', {
    class: 'add-field',
    testid: 'add-field',
    on: {
      submit: (e) => {
        e.preventDefault()
        const name = newName.value.trim()
        const kind = newType.value as Kind
        let value: JsonValue
        try {
          value = kind === 'object' ? {} : kind === 'array' ? [] : parseTyped(newValue.value, kind)
        } catch (err) {
          ctl.toast('error', err instanceof Error ? err.message : String(err))
          return
        }
        if (name === KEY_NAME) return void ctl.toast('error', `"${KEY_NAME}" is the record's key field`)
        if (edit((r) => addChild(r, [], value, name || undefined))) {
          newName.value = ''
          newValue.value = ''
          newName.focus()
        }
      },
    },
  })
  addForm.append(
    newName,
    newType,
    newValue,
    h('button', { class: 'btn btn-primary', testid: 'new-field-add', text: 'Add field', attrs: { type: 'submit' } }),
  )

  // --- raw JSON -----------------------------------------------------------------------------

  const raw = h('textarea', {
    class: 'raw',
    testid: 'raw-json',
    attrs: { spellcheck: 'false', 'aria-label': 'The record as JSON', autocomplete: 'off' },
    on: {
      input: () => {
        rawDirty = true
        validateRaw()
      },
    },
  })
  const rawError = h('p', { class: 'form-error', testid: 'raw-error', attrs: { role: 'alert' } })
  const rawStale = h('p', { class: 'note', testid: 'raw-stale', attrs: { hidden: true } })
  const apply = h('button', {
    class: 'btn btn-primary',
    testid: 'raw-apply',
    text: 'Apply',
    attrs: { type: 'button' },
    on: {
      click: () => {
        if (!shownId || !shown) return
        const result = parseRecordJson(raw.value, KEY_NAME, shown[KEY_NAME] as string | number)
        if (!result.ok) return void (rawError.textContent = result.error)
        if (edit(() => result.value)) {
          rawDirty = false
          refreshRaw()
        }
      },
    },
  })
  const revert = h('button', {
    class: 'btn btn-ghost',
    testid: 'raw-revert',
    text: 'Revert',
    attrs: { type: 'button' },
    on: {
      click: () => {
        rawDirty = false
        refreshRaw()
      },
    },
  })
  const validateRaw = (): void => {
    if (!shown) return
    const result = parseRecordJson(raw.value, KEY_NAME, shown[KEY_NAME] as string | number)
    rawError.textContent = result.ok ? '' : result.error
    apply.disabled = !result.ok
  }
  const refreshRaw = (): void => {
    rawStale.hidden = true
    if (!shown) return
    raw.value = JSON.stringify(shown, null, 2)
    validateRaw()
  }
  const rawPane = h(
    'div',
    { class: 'raw-pane', testid: 'raw-pane' },
    raw,
    rawError,
    rawStale,
    h('div', { class: 'raw-actions' }, revert, apply),
  )

  // --- layout and rendering -----------------------------------------------------------------

  const treePane = h('div', { class: 'tree-pane' }, tree, addForm)
  const body = h('div', { class: 'editor-body' })
  const header = h(
    'div',
    { class: 'editor-head' },
    title,
    h('div', { class: 'tabs', attrs: { role: 'tablist' } }, tabTree, tabRaw),
    del,
  )
  const empty = h(
    'div',
    { class: 'editor-empty', testid: 'editor-empty' },
    h('p', { text: 'Select a record on the left, or add one.' }),
    h('p', { class: 'muted', text: 'Fields have types: text, number, true/false, null, nested objects and lists.' }),
  )
  const el = h('section', { class: 'panel editor', testid: 'editor' })
  let focusAfterRender: { path: string; role: string } | null = null

  const captureFocus = (): FocusMemo | null => {
    const active = document.activeElement as Editable | null
    if (!active || !tree.contains(active)) return null
    const row = active.closest<HTMLElement>('[data-path]')
    if (!row || !active.dataset.role) return null
    const input = active instanceof HTMLInputElement && active.type !== 'checkbox' ? active : null
    return {
      path: row.dataset.path ?? '',
      role: active.dataset.role,
      value: active.value,
      dirty: active.value !== (active.dataset.committed ?? active.value),
      start: input?.selectionStart ?? null,
      end: input?.selectionEnd ?? null,
    }
  }
  const restoreFocus = (memo: { path: string; role: string } & Partial<FocusMemo>): void => {
    const row = Array.from(tree.querySelectorAll<HTMLElement>('[data-path]')).find((r) => r.dataset.path === memo.path)
    const target = row?.querySelector<Editable>(`[data-role="${memo.role}"]`)
    if (!target) return
    if (memo.dirty && memo.value !== undefined) target.value = memo.value
    target.focus()
    if (target instanceof HTMLInputElement && memo.start != null && target.type === 'text')
      target.setSelectionRange(memo.start, memo.end ?? memo.start)
    else if (target instanceof HTMLInputElement && target.type === 'text' && memo.start == null) target.select()
  }

  const render = (): void => {
    const { selected, editorMode } = ctl.state
    const record = selected ? ctl.get(selected) : undefined
    if (!selected || !record) {
      shownId = null
      shown = null
      replaceChildren(el, empty)
      return
    }
    const switched = selected !== shownId
    if (switched) {
      resetDelete()
      rawDirty = false
      pendingFlash.clear()
    }
    const memo = switched ? null : captureFocus()
    shownId = selected
    shown = record
    title.textContent = selected
    tabTree.classList.toggle('active', editorMode === 'tree')
    tabRaw.classList.toggle('active', editorMode === 'raw')
    tabTree.setAttribute('aria-selected', String(editorMode === 'tree'))
    tabRaw.setAttribute('aria-selected', String(editorMode === 'raw'))

    const fields = Object.entries(record)
    fields.sort(([a], [b]) => (a === KEY_NAME ? -1 : b === KEY_NAME ? 1 : 0))
    replaceChildren(tree, ...fields.flatMap(([k, v]) => rows(v as JsonValue, [k], 0)))
    for (const row of tree.querySelectorAll<HTMLElement>('[data-path]'))
      if (pendingFlash.has(row.dataset.path ?? '')) flash(row)
    pendingFlash = new Set()

    if (editorMode === 'raw') {
      if (!rawDirty) refreshRaw()
      else {
        rawStale.hidden = false
        rawStale.textContent =
          'This record changed while you were editing. Apply replaces it with your text; Revert shows the new version.'
      }
    }
    replaceChildren(body, editorMode === 'tree' ? treePane : rawPane)
    if (el.firstChild !== header) replaceChildren(el, header, body)
    if (!ctl.canWrite) lockEdits(el)
    if (focusAfterRender) {
      restoreFocus(focusAfterRender)
      focusAfterRender = null
    } else if (memo) restoreFocus(memo)
  }
  const schedule = coalesce(render)
  render()

  const off = [
    ctl.store.watch(['selected', 'editorMode'], render),
    ctl.store.watch(['version'], schedule),
    ctl.bus.on('change', ({ id, origin }) => {
      if (id !== shownId || origin !== 'remote') return
      for (const p of changedPaths(shown ?? undefined, ctl.get(id))) pendingFlash.add(p)
    }),
    ctl.bus.on('focus', ({ testid }) => {
      if (testid === 'new-field-name') queueMicrotask(() => newName.focus())
    }),
  ]
  return {
    el,
    dispose: () => {
      resetDelete()
      off.forEach((o) => o())
    },
  }
}
