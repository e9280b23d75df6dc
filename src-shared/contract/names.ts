import { z } from 'zod'

/** Longest project or dataset name we accept; long enough for any real title, short enough for a list row. */
export const MAX_NAME_LENGTH = 200

/**
 * A user-visible name: trimmed, 1..200 characters, no control characters.
 * Shared by every channel that takes a name so the rule is written once.
 */
export const displayName = (what: string) =>
  z
    .string({ error: `${what} must be text` })
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(1, { error: `${what} must not be empty` })
        .max(MAX_NAME_LENGTH, { error: `${what} must be at most ${MAX_NAME_LENGTH} characters` })
        // eslint-disable-next-line no-control-regex
        .regex(/^[^\u0000-\u001f\u007f]*$/, { error: `${what} must not contain control characters` }),
    )

/** Client-chosen id of a long job (import, graph build, GI map…), so the caller can cancel it (job:cancel) while its request is still running. */
export const jobId = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, { error: 'jobId must be 6–64 letters, digits, - or _' })

export const id = (what: string) =>
  z.number({ error: `${what} must be a number` }).int({ error: `${what} must be a whole number` }).positive({ error: `${what} must be positive` })
