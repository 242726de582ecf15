/** The renderer's entry: the same code runs in the Electron window and in a browser (web mode). */
import { Controller } from './controller.js'
import { h, replaceChildren } from './dom.js'
import { detectPlatform } from './platform.js'
import { chartView } from './views/chart.js'
import { editorView } from './views/editor.js'
import { inviteDialogView } from './views/invite-dialog.js'
import { joinView } from './views/join.js'
import { bannersView, toastsView } from './views/overlays.js'
import { peersView } from './views/peers.js'
import { recordsView } from './views/records.js'
import { statusBarView } from './views/status-bar.js'
import { topbarView } from './views/topbar.js'
import type { View } from './views/view.js'

function roomScreen(ctl: Controller): View {
  const parts = [recordsView(ctl), editorView(ctl), peersView(ctl), chartView(ctl), inviteDialogView(ctl)]
  const [records, editor, peers, chart, invite] = parts as [View, View, View, View, View]
  const el = h(
    'div',
    { class: 'room-screen', testid: 'room-screen', data: { access: ctl.state.room?.access } },
    records.el,
    editor.el,
    h('div', { class: 'side' }, peers.el, chart.el),
    invite.el,
  )
  return { el, dispose: () => parts.forEach((p) => p.dispose()) }
}

function mount(root: HTMLElement): Controller {
  const ctl = new Controller(detectPlatform(), localStorage, sessionStorage)
  const main = h('main', { class: 'content' })
  const chrome = [topbarView(ctl), bannersView(ctl), statusBarView(ctl), toastsView(ctl)]
  const [top, banners, status, toasts] = chrome as [View, View, View, View]
  replaceChildren(root, h('div', { class: 'shell' }, top.el, banners.el, main, status.el), toasts.el)

  let screen: View | null = null
  let showing: 'join' | 'room' | null = null
  const show = (): void => {
    const want = ctl.state.phase === 'room' ? 'room' : 'join'
    if (want === showing) return
    screen?.dispose()
    screen = want === 'room' ? roomScreen(ctl) : joinView(ctl)
    showing = want
    replaceChildren(main, screen.el)
  }
  ctl.store.watch(['phase'], show)
  show()
  // Tell the others we are gone when the window closes or reloads (a reload rejoins).
  window.addEventListener('pagehide', () => void ctl.closeForUnload())
  // A diffstream:// link clicked while the app runs focuses its window: the link waits in the main process.
  window.addEventListener('focus', () => void ctl.checkPendingInvite())
  // A page restored from the back/forward cache has a closed room: start over.
  window.addEventListener('pageshow', (e) => {
    if (e.persisted) location.reload()
  })
  return ctl
}

const root = document.getElementById('app')
if (root) {
  const ctl = mount(root)
  const hash = location.hash
  // An invite in the address is read once, then taken out so that it stays in no history entry or reload.
  if (/invite=/.test(hash)) history.replaceState(null, '', `${location.pathname}${location.search}`)
  void ctl.start(hash)
}
