import {
  AppError,
  errorOf,
  type ChannelInput,
  type ChannelName,
  type ChannelOutput,
  type Envelope,
  type EventName,
  type EventPayload,
} from '../../src-shared/contract'

type Listener = (payload: unknown) => void

/** The one typed client of the contract. Picks the Electron bridge or the browser transport at start-up. */
export interface Api {
  readonly transport: 'desktop' | 'browser'
  call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  /**
   * Makes files the user picked or dropped readable by the core: their own paths on the desktop,
   * an upload into the data folder in browser mode. Files given together share one folder.
   */
  stageFiles(files: File[], onProgress?: (fraction: number) => void): Promise<StagedFiles>
}

export interface StagedFiles {
  /** path of each file, in the order given */
  paths: string[]
  /** the folder holding them (a 10x folder when several files were given) */
  folder: string
}

function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'))
  return i > 0 ? p.slice(0, i) : p
}

function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.data
  throw errorOf(envelope.error)
}

function desktopApi(bridge: NonNullable<Window['perturbStudio']>): Api {
  return {
    transport: 'desktop',
    async call(channel, input) {
      const fn = bridge.channels[channel] as (i: unknown) => Promise<Envelope<ChannelOutput<typeof channel>>>
      return unwrap(await fn(input))
    },
    on: (event, listener) => bridge.on(event, listener),
    async stageFiles(files) {
      const paths = files.map((f) => bridge.pathForFile(f))
      return { paths, folder: dirname(paths[0] ?? '') }
    },
  }
}

/** Browser mode: POST /api/<channel>; events over /events. The token travels as an HttpOnly cookie. */
function browserApi(): Api {
  const listeners = new Map<string, Set<Listener>>()
  let socket: WebSocket | undefined
  let retry = 500

  const connect = () => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws'
    socket = new WebSocket(`${proto}://${location.host}/events`)
    socket.onmessage = (msg) => {
      const { event, payload } = JSON.parse(String(msg.data)) as { event: string; payload: unknown }
      listeners.get(event)?.forEach((l) => l(payload))
    }
    socket.onopen = () => (retry = 500)
    socket.onclose = () => {
      socket = undefined
      setTimeout(connect, retry)
      retry = Math.min(retry * 2, 10_000)
    }
  }

  return {
    transport: 'browser',
    async call(channel, input) {
      let res: Response
      try {
        res = await fetch(`/api/${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(input ?? {}),
          credentials: 'same-origin',
        })
      } catch {
        throw new AppError('transport.offline', 'Cannot reach the Perturb Studio server. Is `perturb-studio serve` still running?')
      }
      if (res.status === 401 || res.status === 403) {
        throw new AppError('transport.unauthorized', 'This page is no longer authorised. Open the URL (with ?token=…) that perturb-studio printed.')
      }
      return unwrap((await res.json()) as Envelope<ChannelOutput<typeof channel>>)
    },
    async stageFiles(files, onProgress) {
      const total = files.reduce((n, f) => n + f.size, 0) || 1
      let done = 0
      let batch: string | undefined
      const paths: string[] = []
      for (const file of files) {
        const query = new URLSearchParams({ name: file.name, ...(batch ? { batch } : {}) })
        const res = await fetch(`/upload?${query}`, { method: 'POST', body: file, credentials: 'same-origin' })
        const env = unwrap((await res.json()) as Envelope<{ path: string; batch: string }>)
        batch = env.batch
        paths.push(env.path)
        done += file.size
        onProgress?.(done / total)
      }
      return { paths, folder: dirname(paths[0] ?? '') }
    },
    on(event, listener) {
      if (!socket) connect()
      const set = listeners.get(event) ?? new Set()
      set.add(listener as Listener)
      listeners.set(event, set)
      return () => set.delete(listener as Listener)
    },
  }
}

export const api: Api = window.perturbStudio ? desktopApi(window.perturbStudio) : browserApi()

/** A user-facing message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof AppError) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}
