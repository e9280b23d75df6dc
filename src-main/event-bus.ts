import type { EventName, EventPayload } from '../src-shared/contract'

type Listener = <E extends EventName>(event: E, payload: EventPayload<E>) => void

/** Fan-out of contract events to whichever transports are attached (IPC windows, WebSockets). */
export class EventBus {
  private listeners = new Set<Listener>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) l(event, payload)
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
