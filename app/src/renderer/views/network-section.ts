/** The join form's network section: STUN/TURN servers with username and credential, relay only. */
import { h, replaceChildren } from '../dom.js'
import type { IceServerInput } from '../network.js'

export interface NetworkSection {
  el: HTMLElement
  /** The rows as typed (checked when joining). */
  rows(): IceServerInput[]
  relayOnly(): boolean
  /** Fills the section (from a recent room). */
  set(rows: IceServerInput[], relayOnly: boolean): void
}

export function networkSection(): NetworkSection {
  const list = h('div', { class: 'ice-list', testid: 'ice-list' })
  const rows: Array<{
    el: HTMLElement
    urls: HTMLInputElement
    username: HTMLInputElement
    credential: HTMLInputElement
  }> = []
  const summary = h('summary', { testid: 'join-network-summary' })
  const relay = h('input', { testid: 'join-relay', attrs: { type: 'checkbox', name: 'relay-only' } })

  const describe = (): void => {
    const n = rows.filter((r) => r.urls.value.trim() !== '').length
    const servers = n === 0 ? 'from the signaling server' : `${n} STUN/TURN server${n === 1 ? '' : 's'}`
    summary.textContent = `Network: ${servers}${relay.checked ? ', relay only' : ''}`
  }
  const addRow = (value: IceServerInput = { urls: '', username: '', credential: '' }): void => {
    const input = (testid: string, placeholder: string, v: string, type = 'text') =>
      h('input', {
        testid,
        attrs: { type, placeholder, value: v, autocomplete: 'off', spellcheck: 'false', maxlength: 1000 },
        on: { input: describe },
      })
    const row = {
      urls: input('ice-urls', 'turn:turn.example.com:3478', value.urls),
      username: input('ice-username', 'username', value.username),
      credential: input('ice-credential', 'credential', value.credential, 'password'),
      el: h('div', { class: 'ice-row', testid: 'ice-row' }),
    }
    const remove = h('button', {
      class: 'btn btn-ghost btn-xs',
      testid: 'ice-remove',
      text: '✕',
      title: 'Remove this server',
      attrs: { type: 'button', 'aria-label': 'Remove this server' },
      on: {
        click: () => {
          rows.splice(rows.indexOf(row), 1)
          row.el.remove()
          describe()
        },
      },
    })
    replaceChildren(row.el, row.urls, row.username, row.credential, remove)
    rows.push(row)
    list.append(row.el)
    describe()
  }
  relay.addEventListener('change', describe)
  describe()

  const el = h(
    'details',
    { class: 'network', testid: 'join-network' },
    summary,
    h('p', {
      class: 'field-hint',
      text:
        'STUN/TURN servers let machines on different networks connect. Leave the list empty to use the ones ' +
        'your signaling server hands out. Credentials are stored encrypted by the system in the desktop app, ' +
        'and kept for this tab only in a browser.',
    }),
    list,
    h('button', {
      class: 'btn btn-ghost btn-xs',
      testid: 'ice-add',
      text: '+ Add a STUN/TURN server',
      attrs: { type: 'button' },
      on: { click: () => addRow() },
    }),
    h(
      'label',
      { class: 'check' },
      relay,
      h('span', { text: 'Relay only: every connection goes through a TURN server (hides your address)' }),
    ),
  )
  return {
    el,
    rows: () => rows.map((r) => ({ urls: r.urls.value, username: r.username.value, credential: r.credential.value })),
    relayOnly: () => relay.checked,
    set(values, relayOnly) {
      for (const r of rows.splice(0)) r.el.remove()
      for (const v of values) addRow(v)
      relay.checked = relayOnly
      if (values.length > 0 || relayOnly) (el as HTMLDetailsElement).open = true
      describe()
    },
  }
}
