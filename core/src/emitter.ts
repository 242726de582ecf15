/**
 * A minimal typed event emitter that runs the same in Node, browsers and Electron renderers: the
 * base of {@link DiffCache} and {@link Room}.
 * @typeParam Events - Maps each event name to its handler's type.
 */
export class Emitter<Events extends Record<string, (...args: never[]) => void>> {
  private readonly handlers = new Map<keyof Events, Set<Events[keyof Events]>>()

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof Events>(event: E, handler: Events[E]): () => void {
    let set = this.handlers.get(event)
    if (!set) this.handlers.set(event, (set = new Set()))
    set.add(handler)
    return () => this.off(event, handler)
  }

  /** Removes a listener added with {@link Emitter.on}; does nothing if it is not there. */
  off<E extends keyof Events>(event: E, handler: Events[E]): void {
    this.handlers.get(event)?.delete(handler)
  }

  /** How many listeners `event` has (a subclass skips work nobody listens to). */
  protected listenerCount(event: keyof Events): number {
    return this.handlers.get(event)?.size ?? 0
  }

  /** Calls every listener of `event` with `args`, in the order they were added. */
  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.handlers.get(event)
    if (!set) return
    for (const h of Array.from(set)) (h as (...a: Parameters<Events[E]>) => void)(...args)
  }
}
