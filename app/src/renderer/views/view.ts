import type { Controller } from '../controller.js'

/** A mounted piece of UI and how to take it down (its subscriptions, its timers). */
export interface View {
  el: HTMLElement
  dispose(): void
}

export type ViewFactory = (ctl: Controller) => View
