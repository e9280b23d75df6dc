/**
 * Events pushed from the main process to the UI (IPC `webContents.send` or the browser-mode
 * WebSocket). Payload types only; the map is the single source for both transports.
 */
import type { RunChangedEvent, TrainProgressEvent } from './channels/training'

function event<P>() {
  return undefined as unknown as P
}

export interface JobProgress {
  jobId: string
  kind: string
  fraction: number
  message: string
}

export const events = {
  'project:changed': event<{ projectId: number | null }>(),
  'job:progress': event<JobProgress>(),
  'train:progress': event<TrainProgressEvent>(),
  'run:changed': event<RunChangedEvent>(),
} as const

export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = Events[E]
export const eventNames = Object.keys(events) as EventName[]
