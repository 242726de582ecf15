/**
 * The join screen, in three modes: create a private room (this device becomes its writer), join
 * with an invite code or link, or join an open room by name and password (y-webrtc interop).
 * Signaling servers, display name and the network section (STUN/TURN, relay only) are shared;
 * the recent rooms and the LAN addresses are beside the form.
 */
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import { rowsFrom } from '../network.js'
import type { RoomEntry } from '../recent.js'
import { lanList } from './lan.js'
import { networkSection } from './network-section.js'
import { recentRoomsView } from './recent-rooms.js'
import type { View } from './view.js'

const NAME_KEY = 'diffstream.name'

type Mode = 'create' | 'invite' | 'open'

const SUBMIT: Record<Mode, [idle: string, busy: string]> = {
  create: ['Create private room', 'Creating…'],
  invite: ['Join with invite', 'Joining…'],
  open: ['Join open room', 'Joining…'],
}

function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
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
  const defaultName =
    localStorage.getItem(NAME_KEY) ?? state.recent[0]?.name ?? `Guest ${Math.floor(100 + Math.random() * 900)}`
  let mode: Mode = 'create'

  const room = h('input', {
    testid: 'join-room',
    attrs: { name: 'room', autocomplete: 'off', placeholder: 'e.g. inventory', required: true, maxlength: 200 },
  })
  const password = h('input', {
    testid: 'join-password',
    attrs: { name: 'password', type: 'password', autocomplete: 'off', placeholder: 'optional' },
  })
  const invite = h('textarea', {
    testid: 'invite-input',
    attrs: {
      name: 'invite',
      autocomplete: 'off',
      rows: 3,
      spellcheck: 'false',
      placeholder: 'ds1.… or diffstream://join?code=…',
    },
  })
  const signaling = h('textarea', {
    testid: 'join-signaling',
    attrs: { name: 'signaling', autocomplete: 'off', placeholder: 'ws://host:4444', rows: 2, spellcheck: 'false' },
  })
  signaling.value = state.info?.signalingUrl ?? ''
  const network = networkSection()
  const name = h('input', {
    testid: 'join-name',
    attrs: { name: 'name', autocomplete: 'nickname', value: defaultName, maxlength: 60 },
  })
  const error = h('p', { class: 'form-error', testid: 'join-error', attrs: { role: 'alert' } })
  const submit = h('button', { class: 'btn btn-primary btn-block', testid: 'join-submit', attrs: { type: 'submit' } })
  const openNote = h('p', {
    class: 'note',
    testid: 'open-room-note',
    text: 'An open room is open to anyone who knows its name and password: every one of them can write. Use it to meet y-webrtc peers; otherwise create a private room.',
  })

  const roomField = field('Room', room)
  const passwordField = field(
    'Password',
    password,
    'Encrypts signaling; every machine in the room must use the same one.',
  )
  const inviteField = field('Invite code or link', invite, 'From “Invite” in a room on another device.')
  const signalingField = field(
    'Signaling servers',
    signaling,
    "One per line; the room uses all of them. This app's own server by default; any y-webrtc compatible server works.",
  )

  const common = () => ({
    signaling: signaling.value,
    name: name.value,
    iceServers: network.rows(),
    relayOnly: network.relayOnly(),
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
          if (mode === 'create') void ctl.createRoom({ ...common(), room: room.value })
          else if (mode === 'invite') void ctl.joinInvite(invite.value, common())
          else void ctl.join({ ...common(), room: room.value, access: { kind: 'open', password: password.value } })
        },
      },
    },
    roomField,
    passwordField,
    inviteField,
    openNote,
    signalingField,
    field('Your name', name, 'Shown to the others in the room.'),
    network.el,
    error,
    submit,
  )

  const tabs = (['create', 'invite', 'open'] as const).map((m) =>
    h('button', {
      class: 'tab',
      testid: `join-mode-${m}`,
      text: m === 'create' ? 'New private room' : m === 'invite' ? 'Join with invite' : 'Open room',
      attrs: { type: 'button', role: 'tab' },
      on: { click: () => setMode(m) },
    }),
  )
  const setMode = (m: Mode): void => {
    mode = m
    roomField.hidden = m === 'invite'
    inviteField.hidden = m !== 'invite'
    passwordField.hidden = m !== 'open'
    openNote.hidden = m !== 'open'
    // An invite names its signaling servers.
    signalingField.hidden = m === 'invite'
    form.dataset.mode = m
    tabs.forEach((t, i) => {
      const active = (['create', 'invite', 'open'] as const)[i] === m
      t.classList.toggle('active', active)
      t.setAttribute('aria-selected', String(active))
    })
    ctl.store.set({ joinError: null })
    renderState()
  }

  const fill = (e: RoomEntry): void => {
    if (e.private) return void ctl.rejoin(e, name.value)
    setMode('open')
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
  const recent = recentRoomsView(ctl, fill)

  const renderState = (): void => {
    const s = ctl.state
    error.textContent = s.joinError ?? ''
    submit.disabled = s.phase === 'joining'
    submit.textContent = SUBMIT[mode][s.phase === 'joining' ? 1 : 0]
  }
  const renderPending = (): void => {
    const pending = ctl.state.pendingInvite
    if (!pending) return
    setMode('invite')
    invite.value = pending
    ctl.store.set({ pendingInvite: null })
  }

  const lanCard = h('div', { class: 'lan-slot' }, lanList(state.info?.lan ?? [], state.info?.signalingUrl ?? null))
  let signalingTouched = false
  signaling.addEventListener('input', () => (signalingTouched = true))
  const renderInfo = (): void => {
    const info = ctl.state.info
    // The host's info arrives after the form is drawn: fill in its default unless the user typed one.
    if (!signalingTouched && info?.signalingUrl) signaling.value = info.signalingUrl
    replaceChildren(lanCard, lanList(info?.lan ?? [], info?.signalingUrl ?? null))
  }
  setMode('create')
  renderPending()

  const el = h(
    'section',
    { class: 'join-screen', testid: 'join-screen' },
    h(
      'div',
      { class: 'card join-card' },
      h('h1', { text: 'Join a room' }),
      h('p', {
        class: 'muted',
        text: 'Everyone in the same room holds the same records. Changes travel as small diffs, directly between machines. A private room is written only by the devices you invite as writers.',
      }),
      h('div', { class: 'tabs join-tabs', attrs: { role: 'tablist' } }, ...tabs),
      form,
    ),
    h(
      'div',
      { class: 'join-side' },
      h('div', { class: 'card' }, h('h2', { text: 'Recent rooms' }), recent.el),
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
    recent.dispose,
    ctl.store.watch(['joinError', 'phase'], renderState),
    ctl.store.watch(['info'], renderInfo),
    ctl.store.watch(['pendingInvite'], renderPending),
  ]
  queueMicrotask(() => (mode === 'invite' ? invite : room).focus())
  return { el, dispose: () => unsubscribe.forEach((u) => u()) }
}
