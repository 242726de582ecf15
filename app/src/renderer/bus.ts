/** A typed event bus: the events one part of the UI tells the others about. */
export class Bus<Events extends { [name: string]: unknown }> {
  private handlers = new Map<keyof Events, Set<(payload: never) => void>>()

  on<K extends keyof Events>(type: K, handler: (payload: Events[K]) => void): () => void {
    let set = this.handlers.get(type)
    if (!set) this.handlers.set(type, (set = new Set()))
    set.add(handler as (payload: never) => void)
    return () => set.delete(handler as (payload: never) => void)
  }

  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    for (const h of Array.from(this.handlers.get(type) ?? [])) (h as (p: Events[K]) => void)(payload)
  }
}
