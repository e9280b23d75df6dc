import path from 'node:path'
import { AppError } from '../../src-shared/contract'

/** Progress and cancellation shared by every dataset reader. */
export interface ReadControl {
  /** fraction in [0, 1] with a short message ("reading X", "joining metadata") */
  onProgress?: (fraction: number, message: string) => void
  signal?: AbortSignal
}

export function throwIfCancelled(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw new AppError('dataset.cancelled', `Reading ${path.basename(file)} was cancelled; nothing was imported.`)
}

/** Lets the event loop run (progress events, a cancel click) between blocks of synchronous work. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Maps a sub-task's own 0..1 progress into [from, to] of the whole read. */
export function subProgress(control: ReadControl, from: number, to: number): (fraction: number, message: string) => void {
  return (fraction, message) => control.onProgress?.(from + (to - from) * Math.min(1, Math.max(0, fraction)), message)
}
