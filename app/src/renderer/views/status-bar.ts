/** The status bar: signaling, peers and sync, the online/offline toggle, durable saving, the LAN address. */
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import type { View } from './view.js'

function pill(testid: string, state: string, text: string, title: string): HTMLElement {
  return h(
    'span',
    { class: `pill pill-${state}`, testid, data: { state }, title },
    h('span', { class: 'pill-dot' }),
    text,
  )
}

export function statusBarView(ctl: Controller): View {
  const left = h('div', { class: 'status-left' })
  const right = h('div', { class: 'status-right' })
  const toggle = h('button', {
    class: 'btn btn-xs toggle',
    testid: 'online-toggle',
    attrs: { type: 'button' },
    on: { click: () => ctl.toggleOnline() },
  })

  const render = (): void => {
    const { status: s, room, phase, info } = ctl.state
    if (phase !== 'room' || !room) {
      replaceChildren(left, h('span', { class: 'muted', text: 'Not in a room' }))
    } else {
      const sync = !s.online ? 'offline' : s.peers === 0 ? 'alone' : s.synced ? 'synced' : 'syncing'
      const syncText = { offline: 'Offline', alone: 'No peers yet', synced: 'Synced', syncing: 'Syncing…' }[sync]
      const saved = {
        saved: ['Saved on this device', 'Every change so far is stored durably'],
        saving: ['Saving…', 'Writing the latest changes to this device'],
        memory: ['Not saved on this device', 'This build of the core keeps rooms in memory only'],
        unknown: ['Checking storage…', "Waiting for this device's storage to report"],
      }[s.saved]
      toggle.textContent = s.online ? 'Go offline' : 'Go online'
      toggle.setAttribute('aria-pressed', String(!s.online))
      toggle.dataset.online = String(s.online)
      toggle.disabled = !s.canGoOffline
      toggle.title = s.canGoOffline
        ? 'Stop or resume exchanging changes; edits made offline merge when you come back'
        : 'This build of @diffstream/core cannot go offline'
      replaceChildren(
        left,
        pill(
          'status-signaling',
          s.signaling > 0 ? 'ok' : s.online ? 'wait' : 'off',
          s.signaling > 0 ? 'Signaling connected' : s.online ? 'Signaling connecting…' : 'Signaling off',
          room.signaling,
        ),
        pill(
          'status-peers',
          s.peers > 0 ? 'ok' : 'wait',
          `${s.peers} peer${s.peers === 1 ? '' : 's'}`,
          'Direct WebRTC connections',
        ),
        pill(
          'status-sync',
          sync === 'synced' ? 'ok' : sync === 'offline' ? 'off' : 'wait',
          syncText,
          'Synced with every connected peer',
        ),
        toggle,
        pill('status-saved', s.saved === 'saved' ? 'ok' : s.saved === 'saving' ? 'wait' : 'off', saved[0]!, saved[1]!),
      )
      left.querySelector('[data-testid="status-saved"]')?.setAttribute('data-state', s.saved)
      left.querySelector('[data-testid="status-sync"]')?.setAttribute('data-state', sync)
    }
    const lan = info?.lan.find((a) => a.signalingUrl) ?? null
    replaceChildren(
      right,
      lan
        ? h(
            'span',
            { class: 'muted', title: 'Other machines on your LAN use this signaling server' },
            'LAN: ',
            h('code', { testid: 'lan-address', text: lan.signalingUrl ?? '' }),
          )
        : null,
      info
        ? h('span', {
            class: 'muted',
            text: `${info.mode === 'electron' ? 'Desktop' : 'Web mode'}${info.version ? ` · v${info.version}` : ''}`,
          })
        : null,
    )
  }
  render()
  const off = ctl.store.watch(['status', 'room', 'phase', 'info'], render)
  return { el: h('footer', { class: 'statusbar', testid: 'status-bar' }, left, right), dispose: off }
}
