import type { ChannelName, ChannelInput, ChannelOutput } from './channels'
import type { Envelope } from './envelope'
import type { EventName, EventPayload } from './events'

/**
 * What the desktop preload exposes on `window.perturbStudio`: one named function per contract
 * channel (generated from the channel map) and event subscriptions that return an unsubscribe.
 */
export interface DesktopBridge {
  channels: { [C in ChannelName]: (input: ChannelInput<C>) => Promise<Envelope<ChannelOutput<C>>> }
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  /** The file-system path of a file the user picked or dropped (Electron's webUtils). */
  pathForFile(file: unknown): string
}

/** The IPC channel prefix used between preload and main (one ipcMain handler per contract channel). */
export const IPC_PREFIX = 'ps:'
export const IPC_EVENT = 'ps:event'
