/** The top bar: the app, the room, import / export and leave. */
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import type { View } from './view.js'

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
      room.encrypted
        ? h('span', { class: 'tag', title: 'Signaling is encrypted with the room password', text: 'password' })
        : h('span', { class: 'tag tag-warn', text: 'no password' }),
      h('span', { class: 'muted small', text: `as ${room.user}` }),
    )
    replaceChildren(
      actions,
      h('button', {
        class: 'btn btn-ghost',
        testid: 'import',
        text: 'Import JSON',
        attrs: { type: 'button' },
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
