/**
 * A few DOM helpers. Elements are only ever built with createElement and textContent, never from
 * HTML strings, and styles go through CSSOM (`el.style`), which the page's CSP allows.
 */

type Child = Node | string | number | null | undefined | false
type Handler<K extends keyof HTMLElementEventMap> = (event: HTMLElementEventMap[K]) => void

export interface Props {
  class?: string
  testid?: string
  text?: string
  title?: string
  attrs?: Record<string, string | number | boolean | undefined>
  data?: Record<string, string | number | undefined>
  on?: { [K in keyof HTMLElementEventMap]?: Handler<K> }
  style?: Record<string, string>
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (props.class) el.className = props.class
  if (props.testid) el.dataset.testid = props.testid
  if (props.text !== undefined) el.textContent = props.text
  if (props.title) el.title = props.title
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue
    if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value)
    else if (name === 'checked' && el instanceof HTMLInputElement) el.checked = value === true
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  for (const [name, value] of Object.entries(props.data ?? {}))
    if (value !== undefined) el.dataset[name] = String(value)
  for (const [name, value] of Object.entries(props.style ?? {})) el.style.setProperty(name, value)
  for (const [event, handler] of Object.entries(props.on ?? {})) el.addEventListener(event, handler as EventListener)
  append(el, ...children)
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value))
  append(el, ...children)
  return el
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, ...children)
}

/** Coalesces many calls within one task into one run on the next one (a sync of 10 000 records is one render). */
export function coalesce(run: () => void, delayMs = 16): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  // A render that takes long (a list of 50 000 records while they arrive) waits longer before the
  // next one, so that drawing takes at most about a fifth of the main thread.
  let wait = delayMs
  return () => {
    if (timer !== null) return
    timer = setTimeout(() => {
      timer = null
      const t0 = performance.now()
      run()
      wait = Math.max(delayMs, Math.min(1000, 4 * (performance.now() - t0)))
    }, wait)
  }
}

/** Adds a class for `ms`, restarting its animation if it is already there. */
export function flash(el: Element, ms = 2000, cls = 'flash'): void {
  el.classList.remove(cls)
  // Reading a layout property restarts the CSS animation.
  void (el as HTMLElement).offsetWidth
  el.classList.add(cls)
  const timers = flashTimers.get(el)
  if (timers) clearTimeout(timers)
  flashTimers.set(
    el,
    setTimeout(() => el.classList.remove(cls), ms),
  )
}
const flashTimers = new WeakMap<Element, ReturnType<typeof setTimeout>>()

/**
 * Disables the controls under `root` that change something, for a device that only reads in its
 * room; controls marked `data-view="yes"` (tabs, search) stay, and text areas become read-only
 * so that their text can still be selected and copied.
 */
export function lockEdits(root: HTMLElement): void {
  for (const c of root.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | HTMLButtonElement>(
    'input, select, textarea, button',
  )) {
    if (c.dataset.view === 'yes') continue
    if (c instanceof HTMLTextAreaElement) c.readOnly = true
    else c.disabled = true
  }
}
