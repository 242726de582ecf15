/**
 * The invite dialog: a writer or read-only invite for the room, as a code to paste, a
 * `diffstream://` link and, in web mode, an address; copy buttons. A writer invite hands over the
 * room's writer key, so the dialog says to send it like a password.
 */
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import type { InviteView } from '../state.js'
import type { View } from './view.js'

const EXPLAIN: Record<InviteView['kind'], string> = {
  writer:
    'This invite carries the room’s writer key: the device that opens it can read and write. Send it only to your own devices or people you trust, as you would a password.',
  reader:
    'This invite carries the room’s secret but no writer key: the device that opens it receives every record and can never change one.',
}

function copyButton(ctl: Controller, testid: string, label: string, text: string): HTMLElement {
  return h('button', {
    class: 'btn btn-ghost btn-xs',
    testid,
    text: label,
    attrs: { type: 'button' },
    on: {
      click: () =>
        void navigator.clipboard.writeText(text).then(
          () => ctl.toast('info', 'Copied.'),
          () => ctl.toast('warning', 'Could not copy: select the text and copy it by hand.'),
        ),
    },
  })
}

export function inviteDialogView(ctl: Controller): View {
  const el = h('div', { class: 'dialog-slot' })
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape' && ctl.state.invite) ctl.closeInvite()
  }
  const render = (): void => {
    const invite = ctl.state.invite
    const room = ctl.state.room
    if (!invite || !room) return replaceChildren(el)
    const code = h('textarea', {
      class: 'invite-code',
      testid: 'invite-code',
      attrs: { readonly: true, rows: 4, spellcheck: 'false', 'aria-label': 'Invite code' },
    })
    code.value = invite.code
    code.addEventListener('focus', () => code.select())
    const kindButton = (kind: InviteView['kind'], text: string): HTMLElement =>
      h('button', {
        class: `tab${invite.kind === kind ? ' active' : ''}`,
        testid: `invite-kind-${kind === 'writer' ? 'writer' : 'reader'}`,
        text,
        attrs: {
          type: 'button',
          role: 'tab',
          'aria-selected': invite.kind === kind,
          disabled: kind === 'writer' && room.access !== 'writer',
        },
        on: { click: () => ctl.showInvite(kind) },
      })
    replaceChildren(
      el,
      h(
        'div',
        { class: 'dialog-backdrop', on: { click: (e) => e.target === e.currentTarget && ctl.closeInvite() } },
        h(
          'div',
          {
            class: 'card dialog',
            testid: 'invite-dialog',
            data: { kind: invite.kind },
            attrs: { role: 'dialog', 'aria-modal': true, 'aria-label': `Invite to ${room.name}` },
          },
          h('h2', { text: `Invite a device to “${room.name}”` }),
          h(
            'div',
            { class: 'tabs', attrs: { role: 'tablist' } },
            kindButton('writer', 'Writer'),
            kindButton('reader', 'Read-only'),
          ),
          h('p', {
            class: invite.kind === 'writer' ? 'note' : 'muted',
            testid: 'invite-explain',
            text: EXPLAIN[invite.kind],
          }),
          h(
            'div',
            { class: 'field-label' },
            'Code (paste it under “Join with invite”) ',
            copyButton(ctl, 'invite-copy', 'Copy code', invite.code),
          ),
          code,
          h(
            'div',
            { class: 'field-label' },
            'Link for the desktop app ',
            copyButton(ctl, 'invite-copy-link', 'Copy link', invite.link),
          ),
          h('code', { class: 'invite-link', testid: 'invite-link', text: invite.link }),
          invite.webUrl
            ? h(
                'div',
                { class: 'field-label' },
                'Address for a browser on this machine ',
                copyButton(ctl, 'invite-copy-web', 'Copy address', invite.webUrl),
              )
            : null,
          invite.webUrl ? h('code', { class: 'invite-link', testid: 'invite-web-url', text: invite.webUrl }) : null,
          h(
            'div',
            { class: 'dialog-actions' },
            h('button', {
              class: 'btn',
              testid: 'invite-close',
              text: 'Done',
              attrs: { type: 'button' },
              on: { click: () => ctl.closeInvite() },
            }),
          ),
        ),
      ),
    )
  }
  render()
  document.addEventListener('keydown', onKey)
  const off = ctl.store.watch(['invite', 'room'], render)
  return {
    el,
    dispose: () => {
      off()
      document.removeEventListener('keydown', onKey)
    },
  }
}
