/** Where other machines on the LAN can reach this one, with copy buttons. */
import type { LanAddress } from '../../shared/ipc.js'
import { h } from '../dom.js'

async function copy(text: string, button: HTMLButtonElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text)
    button.textContent = 'Copied'
  } catch {
    button.textContent = 'Select & copy'
  }
  setTimeout(() => (button.textContent = 'Copy'), 1500)
}

function copyable(label: string, value: string, testid: string): HTMLElement {
  const button = h('button', { class: 'btn btn-ghost btn-xs', text: 'Copy', attrs: { type: 'button' } })
  button.addEventListener('click', () => void copy(value, button))
  return h(
    'div',
    { class: 'copyable' },
    h('span', { class: 'muted', text: label }),
    h('code', { testid, text: value }),
    button,
  )
}

/** The LAN addresses as a list, or a note when there are none. */
export function lanList(lan: LanAddress[], ownSignaling: string | null): HTMLElement {
  if (lan.length === 0) {
    return h('p', {
      class: 'muted',
      testid: 'lan-none',
      text: ownSignaling
        ? 'No network interface other than this machine was found.'
        : 'No signaling server runs in this app.',
    })
  }
  return h(
    'div',
    { class: 'lan-list' },
    ...lan.map((a) =>
      h(
        'div',
        { class: 'lan-entry', data: { iface: a.iface } },
        h('div', { class: 'lan-iface', text: `${a.iface} · ${a.address}` }),
        a.signalingUrl ? copyable('signaling', a.signalingUrl, 'lan-signaling') : null,
        copyable('web app', a.appUrl, 'lan-app'),
      ),
    ),
  )
}
