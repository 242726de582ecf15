/** Who is here: every peer's name, colour, role and how this machine reaches it. */
import type { Controller, PeerState } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import { timeOfDay } from '../format.js'
import type { View } from './view.js'

const STATE_TEXT: Record<PeerState, string> = {
  self: 'you',
  direct: 'connected',
  relayed: 'via another peer',
  left: 'left',
}

export function peersView(ctl: Controller): View {
  const list = h('ul', { class: 'peer-list', testid: 'peer-list' })
  const count = h('span', { class: 'badge', testid: 'peer-count' })
  const hint = h('p', {
    class: 'muted small',
    testid: 'peers-alone',
    text:
      ctl.state.room?.access === 'open'
        ? 'Nobody else is here yet. Others must use the same room name, password and signaling server.'
        : 'Nobody else is here yet. Bring another device in with Invite.',
  })
  const render = (): void => {
    const { peers, status } = ctl.state
    const here = peers.filter((p) => p.state !== 'left')
    count.textContent = String(here.length)
    hint.hidden = here.some((p) => p.state !== 'self') || !status.online
    replaceChildren(
      list,
      ...peers.map((p) => {
        const state = p.state === 'self' && !status.online ? 'offline' : STATE_TEXT[p.state]
        // How the connection travels: straight between the machines, or through a TURN relay.
        const path =
          p.state === 'direct' && p.path
            ? ` · ${p.path === 'relay' ? 'via relay' : 'direct'}${p.rttMs === null ? '' : ` · ${Math.round(p.rttMs)} ms`}`
            : ''
        return h(
          'li',
          {
            class: `peer peer-${p.state}`,
            testid: 'peer-row',
            data: { state: p.state, name: p.name, path: p.state === 'direct' ? (p.path ?? undefined) : undefined },
          },
          h('span', { class: 'avatar', style: { background: p.color }, text: p.name.slice(0, 1).toUpperCase() || '?' }),
          h(
            'span',
            { class: 'peer-main' },
            h('span', { class: 'peer-name', text: p.name }),
            h('span', {
              class: 'peer-meta',
              text: `${p.role} · ${state}${path}${p.state === 'left' ? ` at ${timeOfDay(p.since)}` : ''}`,
            }),
          ),
          h('span', {
            class: `dot dot-${p.state === 'self' ? (status.online ? 'direct' : 'left') : p.state}`,
            title: state,
          }),
        )
      }),
    )
  }
  render()
  const off = ctl.store.watch(['peers', 'status'], render)
  const el = h(
    'section',
    { class: 'panel peers', testid: 'peers-panel' },
    h('div', { class: 'panel-head' }, h('h2', { text: 'Who is here' }), count),
    list,
    hint,
  )
  return { el, dispose: off }
}
