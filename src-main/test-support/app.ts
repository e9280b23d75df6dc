/** Router-level tests: an app context on a throw-away data folder, and its channels called as a client calls them. */
import { createAppContext, type AppContext } from '../app-context'
import { tempHome } from './temp-home'

/** An app context (CLI transport, silent log) on a fresh data folder; its `close` also removes the folder. */
export function tempAppContext(prefix?: string): AppContext {
  const home = tempHome(prefix)
  const ctx = createAppContext({ home: home.dir, transport: 'cli', log: () => undefined })
  return {
    ...ctx,
    close: () => {
      ctx.close()
      home.cleanup()
    },
  }
}

/** A channel's data; its error is thrown, with the error code as `code`. */
export async function call<T>(ctx: AppContext, channel: string, input: unknown): Promise<T> {
  const r = await ctx.router.dispatch(channel, input)
  if (!r.ok) throw Object.assign(new Error(`${r.error.code}: ${r.error.message}`), { code: r.error.code })
  return r.data as T
}

/** The error code and message a channel answers with. */
export async function failure(ctx: AppContext, channel: string, input: unknown): Promise<{ code: string; message: string }> {
  const r = await ctx.router.dispatch(channel, input)
  if (r.ok) throw new Error(`${channel} succeeded where it should have failed`)
  return r.error
}
