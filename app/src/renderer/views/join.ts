/**
 * The join screen: room, password, signaling servers, display name, the network section (STUN/TURN
 * servers, relay only); recent rooms; the LAN addresses.
 */
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import { rowsFrom } from '../network.js'
import type { RoomEntry } from '../recent.js'
import { lanList } from './lan.js'
import { networkSection } from './network-section.js'
import type { View } from './view.js'

const NAME_KEY = 'diffstream.name'

function field(label: string, input: HTMLInputElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  return h(
    'label',
    { class: 'field' },
    h('span', { class: 'field-label', text: label }),
    input,
    hint ? h('span', { class: 'field-hint', text: hint }) : null,
  )
}

export function joinView(ctl: Controller): View {
  const state = ctl.state
  const defaultSignaling = state.info?.signalingUrl ?? ''
  const defaultName =
    localStorage.getItem(NAME_KEY) ?? state.recent[0]?.name ?? `Guest ${Math.floor(100 + Math.random() * 900)}`

  const room = h('input', {
    testid: 'join-room',
    attrs: { name: 'room', autocomplete: 'off', placeholder: 'e.g. inventory', required: true, maxlength: 200 },
  })
  const password = h('input', {
    testid: 'join-password',
    attrs: { name: 'password', type: 'password', autocomplete: 'off', placeholder: 'optional' },
  })
  const signaling = h('textarea', {
    testid: 'join-signaling',
    attrs: {
      name: 'signaling',
      autocomplete: 'off',
      placeholder: 'ws://host:4444',
      rows: 2,
      spellcheck: 'false',
    },
  })
  signaling.value = defaultSignaling
  const network = networkSection()
  const name = h('input', {
    testid: 'join-name',
    attrs: { name: 'name', autocomplete: 'nickname', value: defaultName, maxlength: 60 },
  })
  const error = h('p', { class: 'form-error', testid: 'join-error', attrs: { role: 'alert' } })
  const submit = h('button', {
    class: 'btn btn-primary btn-block',
    testid: 'join-submit',
    text: 'Join room',
    attrs: { type: 'submit' },
  })

  const form = h(
    'form',
    {
      class: 'join-form',
      testid: 'join-form',
      attrs: { novalidate: true },
      on: {
        submit: (e) => {
          e.preventDefault()
          localStorage.setItem(NAME_KEY, name.value.trim())
          void ctl.join({
            room: room.value,
            password: password.value,
            signaling: signaling.value,
            name: name.value,
            iceServers: network.rows(),
            relayOnly: network.relayOnly(),
          })
        },
      },
    },
    field('Room', room),
    field('Password', password, 'Encrypts signaling; every machine in the room must use the same one.'),
    field(
      'Signaling servers',
      signaling,
      "One per line; the room uses all of them. This app's own server by default; any y-webrtc compatible server works.",
    ),
    field('Your name', name, 'Shown to the others in the room.'),
    network.el,
    error,
    submit,
  )

  const fill = (e: RoomEntry): void => {
    room.value = e.room
    signaling.value = e.signaling
    name.value = e.name
    password.value = ''
    network.set(rowsFrom(e.network, null), e.network?.relayOnly ?? false)
    password.focus()
    // Stored credentials arrive later (decrypted by the main process in Electron).
    if (e.network?.iceServers.length)
      void ctl.loadCredentials(e).then((credentials) => {
        if (credentials && room.value === e.room) network.set(rowsFrom(e.network, credentials), e.network!.relayOnly)
      })
  }
  const recentList = h('ul', { class: 'recent-list', testid: 'recent-list' })
  const renderRecent = (): void => {
    const recent = ctl.state.recent
    if (recent.length === 0)
      return replaceChildren(recentList, h('li', { class: 'muted', text: 'Rooms you join appear here.' }))
    replaceChildren(
      recentList,
      ...recent.map((e) =>
        h(
          'li',
          { class: 'recent-item', testid: 'recent-room', data: { room: e.room } },
          h(
            'button',
            {
              class: 'recent-main',
              attrs: { type: 'button' },
              title: 'Fill in the form',
              on: { click: () => fill(e) },
            },
            h('span', { class: 'recent-name', text: e.room }),
            h('span', {
              class: 'recent-meta',
              text: `${e.name} · ${e.signaling.split('\n').join(', ')}${e.network?.relayOnly ? ' · relay only' : ''}`,
            }),
          ),
          h('button', {
            class: 'btn btn-ghost btn-xs',
            text: '✕',
            title: 'Forget this room',
            attrs: { type: 'button', 'aria-label': `Forget ${e.room}` },
            on: { click: () => ctl.forgetRecent(e) },
          }),
        ),
      ),
    )
  }
  const renderState = (): void => {
    const s = ctl.state
    error.textContent = s.joinError ?? ''
    submit.disabled = s.phase === 'joining'
    submit.textContent = s.phase === 'joining' ? 'Joining…' : 'Join room'
  }
  renderRecent()
  renderState()

  const lanCard = h(
    'div',
    { class: 'lan-slot' },
    lanList(ctl.state.info?.lan ?? [], ctl.state.info?.signalingUrl ?? null),
  )
  let signalingTouched = false
  signaling.addEventListener('input', () => (signalingTouched = true))
  const renderInfo = (): void => {
    const info = ctl.state.info
    // The host's info arrives after the form is drawn: fill in its default unless the user typed one.
    if (!signalingTouched && info?.signalingUrl) signaling.value = info.signalingUrl
    replaceChildren(lanCard, lanList(info?.lan ?? [], info?.signalingUrl ?? null))
  }
  const el = h(
    'section',
    { class: 'join-screen', testid: 'join-screen' },
    h(
      'div',
      { class: 'card join-card' },
      h('h1', { text: 'Join a room' }),
      h('p', {
        class: 'muted',
        text: 'Everyone in the same room holds the same records. Changes travel as small diffs, directly between machines.',
      }),
      form,
    ),
    h(
      'div',
      { class: 'join-side' },
      h('div', { class: 'card' }, h('h2', { text: 'Recent rooms' }), recentList),
      h(
        'div',
        { class: 'card', testid: 'lan-info' },
        h('h2', { text: 'Other machines on your network' }),
        h('p', {
          class: 'muted',
          text: 'Point their DiffStream at this signaling address, or open the web app address in a browser there.',
        }),
        lanCard,
      ),
    ),
  )
  const unsubscribe = [
    ctl.store.watch(['recent'], renderRecent),
    ctl.store.watch(['joinError', 'phase'], renderState),
    ctl.store.watch(['info'], renderInfo),
  ]
  queueMicrotask(() => room.focus())
  return { el, dispose: () => unsubscribe.forEach((u) => u()) }
}
