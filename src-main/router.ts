import {
  AppError,
  fail,
  isChannelName,
  ok,
  channels,
  type ChannelName,
  type ChannelOutput,
  type ChannelParsed,
  type Envelope,
  type InvalidInput,
} from '../src-shared/contract'

/** One handler per contract channel; the compiler checks that none is missing. */
export type Handlers = {
  [C in ChannelName]: (input: ChannelParsed<C>) => ChannelOutput<C> | Promise<ChannelOutput<C>>
}

export interface Router {
  dispatch(channel: string, rawInput: unknown): Promise<Envelope<unknown>>
}

export interface RouterOptions {
  /** Where unexpected (non-AppError) failures are reported; they reach the caller as `internal`. */
  onInternalError?: (channel: string, err: unknown) => void
}

/**
 * Validates a request against the contract and dispatches it to its handler. Used by both
 * transports (Electron IPC and the browser-mode server) and by the CLI, so every way in gets
 * the same validation and the same error codes.
 */
export function createRouter(handlers: Handlers, options: RouterOptions = {}): Router {
  return {
    async dispatch(channel, rawInput) {
      if (!isChannelName(channel)) {
        return fail('contract.unknown-channel', `There is no channel "${channel}".`)
      }
      const parsed = channels[channel].input.safeParse(rawInput ?? {})
      if (!parsed.success) {
        const invalid: InvalidInput = { channel, issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) }
        const detail = invalid.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')
        return fail('contract.invalid-input', `Invalid input for ${channel}: ${detail}`, { ...invalid })
      }
      try {
        const handler = handlers[channel] as (input: unknown) => unknown
        return ok(await handler(parsed.data))
      } catch (err) {
        if (err instanceof AppError) return fail(err.code, err.message, err.details)
        options.onInternalError?.(channel, err)
        return fail('internal', `Unexpected error in ${channel}: ${(err as Error)?.message ?? String(err)}`)
      }
    },
  }
}

/** The handlers of one area (e.g. every `project:*` channel), merged into the full map in app-context. */
export type HandlersFor<Prefix extends string> = {
  [C in ChannelName as C extends `${Prefix}:${string}` ? C : never]: Handlers[C]
}
