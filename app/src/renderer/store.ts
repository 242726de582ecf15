/** A tiny state store: one immutable state object, shallow patches, synchronous subscribers. */
export class Store<S extends object> {
  private listeners = new Set<(state: S, previous: S) => void>()

  constructor(private current: S) {}

  get state(): S {
    return this.current
  }

  set(patch: Partial<S>): void {
    const previous = this.current
    let changed = false
    for (const k of Object.keys(patch) as Array<keyof S>) {
      if (!Object.is(previous[k], patch[k])) changed = true
    }
    if (!changed) return
    this.current = { ...previous, ...patch }
    for (const l of Array.from(this.listeners)) l(this.current, previous)
  }

  /** Calls `listener` after every change; returns a function that unsubscribes. */
  subscribe(listener: (state: S, previous: S) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Calls `listener` when one of `keys` changed. */
  watch(keys: Array<keyof S>, listener: (state: S) => void): () => void {
    return this.subscribe((s, p) => {
      if (keys.some((k) => !Object.is(s[k], p[k]))) listener(s)
    })
  }
}
