import { z } from 'zod'

/**
 * Declares a channel: its zod input schema and (type-only) output. Outputs come from our own
 * services and are not re-parsed. Curried so the output type is named while the input schema's
 * type is inferred: `returns<Project>()(z.object({...}))`.
 */
export const returns =
  <O>() =>
  <I extends z.ZodType>(input: I) => ({ input, output: undefined as unknown as O })

/** Input of channels that take nothing. */
export const none = z.object({}).strict()
