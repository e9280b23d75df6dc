import type { EventName, EventPayload } from '../src-shared/contract'

/** One event and its payload: checking `event` narrows `payload` to that event's type. */
export type BusMessage = { [E in EventName]: [event: E, payload: EventPayload<E>] }[EventName]

type Forwarder = (...message: BusMessage) => void

/** Fan-out of contract events to whichever transports are attached (IPC windows, WebSockets) and to listeners of one event. */
export class EventBus {
  private listeners = new Set<Forwarder>()

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const message = [event, payload] as BusMessage
    for (const l of this.listeners) l(...message)
  }

  /** One event, its payload typed by the event map: `bus.on('job:progress', (p) => p.fraction)`. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.subscribe((name, payload) => {
      // name === event makes payload that event's; TypeScript cannot follow it through the generic E
      if (name === event) listener(payload as EventPayload<E>)
    })
  }

  /** Every event, for the transports that forward them all (desktop IPC, the browser-mode WebSocket). */
  subscribe(listener: Forwarder): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
