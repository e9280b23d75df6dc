/**
 * What every engine worker does first, whatever its role: choose the compute backend and say
 * which (or why none loads), and send errors in the one wire shape.
 */
import { initBackend, type BackendName } from './backend'
import { toWire, type HandshakeMessage } from './worker-protocol'

/** Chooses the backend and announces it; resolves false when none loads (the owner was told why). */
export function announceBackend(post: (msg: HandshakeMessage) => void, prefer: BackendName | undefined, fallbackCode: string): Promise<boolean> {
  return initBackend({ prefer, log: (message) => post({ type: 'log', message }) }).then(
    (backend) => (post({ type: 'ready', backend }), true),
    (err) => (post({ type: 'init-failed', error: toWire(err, fallbackCode) }), false),
  )
}
