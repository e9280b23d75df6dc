import type { Command } from 'commander'
import { createAppContext, type AppContext } from '../app-context'
import type { ChannelInput, ChannelName, ChannelOutput, ComputeBackend } from '../../src-shared/contract'
import { CliOutput, unwrap, type CliIo } from './output'

export interface GlobalOptions {
  home?: string
  json?: boolean
}

/** What every command action gets: output, lazily opened core, and a typed call through the router. */
export class CliSession {
  private ctx?: AppContext
  /** `serve` switches this to 'browser' before first use: exports then become download URLs. */
  transport: 'cli' | 'browser' = 'cli'
  /** `predict --backend` sets this before first use: the prediction worker's backend. */
  predictBackend?: ComputeBackend
  readonly out: CliOutput

  constructor(
    readonly io: CliIo,
    readonly globals: GlobalOptions,
  ) {
    this.out = new CliOutput(io, Boolean(globals.json))
  }

  get context(): AppContext {
    this.ctx ??= createAppContext({ home: this.globals.home, transport: this.transport, log: (m) => this.out.info(m), ...(this.predictBackend ? { predictBackend: this.predictBackend } : {}) })
    return this.ctx
  }

  /** Calls a contract channel through the same router the UI uses (same validation, same codes). */
  async call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    return unwrap(await this.context.router.dispatch(channel, input)) as ChannelOutput<C>
  }

  close(): void {
    this.ctx?.close()
    this.ctx = undefined
  }
}

export type CommandRegistrar = (program: Command, session: () => CliSession) => void
