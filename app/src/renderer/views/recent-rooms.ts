/** The recent rooms on the join screen: a private one rejoins with its stored keys, an open one fills in the form. */
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import type { RoomEntry } from '../recent.js'
import type { View } from './view.js'

export function recentRoomsView(ctl: Controller, pick: (entry: RoomEntry) => void): View {
  const list = h('ul', { class: 'recent-list', testid: 'recent-list' })
  const render = (): void => {
    const recent = ctl.state.recent
    if (recent.length === 0)
      return replaceChildren(list, h('li', { class: 'muted', text: 'Rooms you join appear here.' }))
    replaceChildren(
      list,
      ...recent.map((e) =>
        h(
          'li',
          { class: 'recent-item', testid: 'recent-room', data: { room: e.room, private: e.private ? 'yes' : 'no' } },
          h(
            'button',
            {
              class: 'recent-main',
              attrs: { type: 'button' },
              title: e.private ? 'Join again with the keys kept on this device' : 'Fill in the form',
              on: { click: () => pick(e) },
            },
            h('span', { class: 'recent-name', text: e.room }),
            h('span', {
              class: 'recent-meta',
              text: `${e.private ? 'private · ' : 'open · '}${e.name} · ${e.signaling.split('\n').join(', ')}${
                e.network?.relayOnly ? ' · relay only' : ''
              }`,
            }),
          ),
          h('button', {
            class: 'btn btn-ghost btn-xs',
            text: '✕',
            title: e.private ? 'Forget this room and its keys on this device' : 'Forget this room',
            attrs: { type: 'button', 'aria-label': `Forget ${e.room}` },
            on: { click: () => ctl.forgetRecent(e) },
          }),
        ),
      ),
    )
  }
  render()
  return { el: list, dispose: ctl.store.watch(['recent'], render) }
}
