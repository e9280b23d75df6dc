import crypto from 'node:crypto'
import { AppError } from '../../src-shared/contract'
import type { EventBus } from '../event-bus'

/** A long-running piece of work (import, graph build, training, GI map) that reports progress and can be cancelled. */
export interface Job {
  readonly id: string
  readonly signal: AbortSignal
  /** fraction in [0, 1]; throttled to ~10 events per second, the last one always sent */
  progress(fraction: number, message: string): void
  /** Throws `job.cancelled` once the user has cancelled; call between steps. */
  throwIfCancelled(): void
}

const MIN_INTERVAL_MS = 100

/** Running jobs by id; the client may choose the id so it can cancel while its request is in flight. */
export class JobRegistry {
  private readonly running = new Map<string, AbortController>()

  constructor(private readonly events: EventBus) {}

  async run<T>(kind: string, requestedId: string | undefined, work: (job: Job) => Promise<T>): Promise<T> {
    const id = requestedId ?? crypto.randomUUID()
    if (this.running.has(id)) throw new AppError('job.duplicate-id', `A job with id ${id} is already running.`)
    const controller = new AbortController()
    this.running.set(id, controller)
    let last = 0
    let lastFraction = -1
    const job: Job = {
      id,
      signal: controller.signal,
      progress: (fraction, message) => {
        const now = Date.now()
        const f = Math.max(0, Math.min(1, fraction))
        if (f < 1 && now - last < MIN_INTERVAL_MS && f - lastFraction < 0.1) return
        last = now
        lastFraction = f
        this.events.emit('job:progress', { jobId: id, kind, fraction: f, message })
      },
      throwIfCancelled: () => {
        if (controller.signal.aborted) throw new AppError('job.cancelled', `${kind} was cancelled; nothing was kept.`)
      },
    }
    try {
      return await work(job)
    } finally {
      this.running.delete(id)
    }
  }

  cancel(id: string): boolean {
    const c = this.running.get(id)
    if (!c) return false
    c.abort()
    return true
  }
}
