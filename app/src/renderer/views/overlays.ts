/** Banners (a wrong password, start-up notices), the progress bar and the toasts. */
import type { Controller } from '../controller.js'
import { h, replaceChildren } from '../dom.js'
import type { View } from './view.js'

export function bannersView(ctl: Controller): View {
  const el = h('div', { class: 'banners' })
  const dismissed = new Set<string>()
  const render = (): void => {
    const { passwordWarning, info, progress } = ctl.state
    const notices = (info?.notices ?? []).filter((n) => !dismissed.has(n))
    replaceChildren(
      el,
      progress
        ? h(
            'div',
            { class: 'progress', testid: 'progress', attrs: { role: 'progressbar', 'aria-valuetext': progress.label } },
            h('span', { class: 'progress-label', text: progress.label }),
            h(
              'span',
              { class: `progress-track${progress.value === null ? ' indeterminate' : ''}` },
              h('span', { class: 'progress-fill', style: { width: `${Math.round((progress.value ?? 0.3) * 100)}%` } }),
            ),
          )
        : null,
      passwordWarning
        ? h(
            'div',
            { class: 'banner banner-error', testid: 'password-warning', attrs: { role: 'alert' } },
            h('strong', { text: 'Wrong password? ' }),
            passwordWarning,
          )
        : null,
      ...notices.map((n) =>
        h(
          'div',
          { class: 'banner banner-info', testid: 'notice' },
          n,
          h('button', {
            class: 'btn btn-ghost btn-xs',
            text: 'Dismiss',
            attrs: { type: 'button' },
            on: {
              click: () => {
                dismissed.add(n)
                render()
              },
            },
          }),
        ),
      ),
    )
  }
  render()
  return { el, dispose: ctl.store.watch(['passwordWarning', 'info', 'progress'], render) }
}

export function toastsView(ctl: Controller): View {
  const el = h('div', { class: 'toasts', attrs: { 'aria-live': 'polite' } })
  const render = (): void =>
    replaceChildren(
      el,
      ...ctl.state.toasts.map((t) =>
        h(
          'div',
          { class: `toast toast-${t.kind}`, testid: 'toast', data: { kind: t.kind } },
          h('span', { text: t.text }),
          h('button', {
            class: 'btn btn-ghost btn-xs',
            text: '✕',
            attrs: { type: 'button', 'aria-label': 'Dismiss' },
            on: { click: () => ctl.dismiss(t.id) },
          }),
        ),
      ),
    )
  render()
  return { el, dispose: ctl.store.watch(['toasts'], render) }
}
