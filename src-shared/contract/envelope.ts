/**
 * The result envelope every channel returns, on every transport (IPC, HTTP, CLI).
 * Error codes are stable and dotted (`project.not-found`) so scripts and tests can rely on them.
 */
export interface AppErrorShape {
  code: string
  message: string
}

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: AppErrorShape }

export function ok<T>(data: T): Envelope<T> {
  return { ok: true, data }
}

export function fail(code: string, message: string): Envelope<never> {
  return { ok: false, error: { code, message } }
}

/** Thrown by services (and the client) to carry a stable code across the process boundary. */
export class AppError extends Error implements AppErrorShape {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'AppError'
    this.code = code
  }
}

export function isEnvelope(value: unknown): value is Envelope<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false
  const v = value as { ok: unknown; error?: unknown }
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null)
}
