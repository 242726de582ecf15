/** The top bar: the app, the room and whether this device writes in it, invite, import / export and leave. */
import type { AccessState } from '../access.js'
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import type { View } from './view.js'

const ACCESS: Record<AccessState, { text: string; title: string; warn: boolean }> = {
  writer: { text: 'private · writer', title: 'A private room: this device is one of its writers', warn: false },
  'read-only': {
    text: 'read-only',
    title:
      'A private room: this device receives the records but cannot change them (it joined with a read-only invite)',
    warn: true,
  },
  open: {
    text: 'open room',
    title: 'An open room: anyone who knows its name and password can join it and write',
    warn: true,
  },
}

function accessTag(access: AccessState): HTMLElement {
  const a = ACCESS[access]
  return h('span', {
    class: a.warn ? 'tag tag-warn' : 'tag',
    testid: 'access-state',
    data: { state: access },
    title: a.title,
    text: a.text,
  })
}

export function topbarView(ctl: Controller): View {
  const roomInfo = h('div', { class: 'topbar-room' })
  const actions = h('div', { class: 'topbar-actions' })
  const render = (): void => {
    const { room, phase } = ctl.state
    if (phase !== 'room' || !room) {
      replaceChildren(roomInfo)
      replaceChildren(actions)
      return
    }
    replaceChildren(
      roomInfo,
      h('span', {
        class: 'avatar avatar-sm',
        style: { background: room.color },
        text: room.user.slice(0, 1).toUpperCase(),
      }),
      h('span', { class: 'room-name', testid: 'room-name', text: room.name }),
      accessTag(room.access),
      // A private room's secret is its password: only an open room's password is worth a tag.
      room.access !== 'open'
        ? null
        : room.encrypted
          ? h('span', { class: 'tag', title: 'Signaling is encrypted with the room password', text: 'password' })
          : h('span', { class: 'tag tag-warn', text: 'no password' }),
      h('span', { class: 'muted small', text: `as ${room.user}` }),
    )
    replaceChildren(
      actions,
      room.access === 'open'
        ? null
        : h('button', {
            class: 'btn btn-ghost',
            testid: 'invite-open',
            text: 'Invite',
            title: 'Invite another device into this room',
            attrs: { type: 'button' },
            on: { click: () => ctl.showInvite(room.access === 'writer' ? 'writer' : 'reader') },
          }),
      h('button', {
        class: 'btn btn-ghost',
        testid: 'import',
        text: 'Import JSON',
        title: room.access === 'read-only' ? 'This device only reads in this room' : undefined,
        attrs: { type: 'button', disabled: room.access === 'read-only' },
        on: { click: () => void ctl.importFile() },
      }),
      h('button', {
        class: 'btn btn-ghost',
        testid: 'export',
        text: 'Export JSON',
        attrs: { type: 'button' },
        on: { click: () => void ctl.exportFile() },
      }),
      h('button', {
        class: 'btn',
        testid: 'leave',
        text: 'Leave',
        attrs: { type: 'button' },
        on: { click: () => void ctl.leave() },
      }),
    )
  }
  render()
  const el = h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', text: '◆' }), 'DiffStream'),
    roomInfo,
    actions,
  )
  return { el, dispose: ctl.store.watch(['room', 'phase'], render) }
}
