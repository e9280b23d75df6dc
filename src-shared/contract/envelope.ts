/**
 * The result envelope every channel returns, on every transport (IPC, HTTP, CLI).
 * Error codes are stable and dotted (`project.not-found`) so scripts and tests can rely on them.
 * `details`, when a refusal has it, carries its facts as data (e.g. the estimate a large map asks
 * a go-ahead for), so each front end words its own instruction instead of parsing the message.
 */
export interface AppErrorShape {
  code: string
  message: string
  details?: Record<string, unknown>
}

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: AppErrorShape }

export function ok<T>(data: T): Envelope<T> {
  return { ok: true, data }
}

export function fail(code: string, message: string, details?: Record<string, unknown>): Envelope<never> {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } }
}

/** Thrown by services (and the client) to carry a stable code across the process boundary. */
export class AppError extends Error implements AppErrorShape {
  readonly code: string
  readonly details?: Record<string, unknown>
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'AppError'
    this.code = code
    if (details !== undefined) this.details = details
  }
}

/** The AppError an envelope's error stands for, details included. */
export function errorOf(shape: AppErrorShape): AppError {
  return new AppError(shape.code, shape.message, shape.details)
}

/** The `details` of `contract.invalid-input`: each field the request got wrong, with the schema's own message. */
export interface InvalidInput {
  channel: string
  issues: { path: string; message: string }[]
}

/** The fields a `contract.invalid-input` refusal names; null for any other error. */
export function invalidInputOf(err: unknown): InvalidInput | null {
  return err instanceof AppError && err.code === 'contract.invalid-input' && err.details ? (err.details as unknown as InvalidInput) : null
}

export function isEnvelope(value: unknown): value is Envelope<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false
  const v = value as { ok: unknown; error?: unknown }
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null)
}
