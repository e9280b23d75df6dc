/**
 * What the W workers of one data-parallel training share (docs/ml-engine.md §5 and issue 23): barriers and
 * sums over SharedArrayBuffers, blocking with Atomics.wait (allowed in worker threads and in
 * Node's main thread). Every sum adds the ranks' parts in rank order, so a run is reproducible for
 * a seed and W. Two groups: the workers computing the current step (`active`, BatchNorm statistics
 * inside the forward and backward passes) and all of them (the summed gradient every worker
 * applies). Each sum area has two halves used in turn: a worker can write the next sum while a
 * slower one still reads this one, and cannot reach the one after before the slower one has read.
 */
import { AppError } from '../../../src-shared/contract/envelope'

/** The shared buffers, created once by rank 0 and handed to the other workers. */
export interface CollectiveBuffers {
  size: number
  control: SharedArrayBuffer
  /** small sums (BatchNorm statistics): 2 halves × size slots × smallCapacity float64 */
  small: SharedArrayBuffer
  smallCapacity: number
  /** the gradient sum: 2 halves × size slots × largeCapacity float32 */
  large: SharedArrayBuffer
  largeCapacity: number
}

// control words
const COUNT = [0, 2] as const
const GEN = [1, 3] as const
const ABORT = 4
const CONTROL_WORDS = 5
/** How long a worker waits for the others before it checks whether the run was aborted. */
const WAIT_SLICE_MS = 1000
/** A worker that has not arrived after this long is taken as gone. */
const GIVE_UP_MS = 10 * 60 * 1000

export function createCollectiveBuffers(size: number, smallCapacity: number, largeCapacity: number): CollectiveBuffers {
  return {
    size,
    control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    small: new SharedArrayBuffer(2 * size * smallCapacity * 8),
    smallCapacity,
    large: new SharedArrayBuffer(2 * size * Math.max(1, largeCapacity) * 4),
    largeCapacity: Math.max(1, largeCapacity),
  }
}

export type Group = 'active' | 'all'

export class Collective {
  private readonly control: Int32Array
  private readonly small: Float64Array
  private readonly large: Float32Array
  private smallTurn = 0
  private largeTurn = 0
  /** workers taking part in the current step's BatchNorm sums (ranks 0 … active − 1) */
  active: number

  constructor(
    readonly buffers: CollectiveBuffers,
    readonly rank: number,
  ) {
    this.control = new Int32Array(buffers.control)
    this.small = new Float64Array(buffers.small)
    this.large = new Float32Array(buffers.large)
    this.active = buffers.size
  }

  get size(): number {
    return this.buffers.size
  }

  /** Waits until every worker of the group has arrived. */
  barrier(group: Group): void {
    const g = group === 'active' ? 0 : 1
    const n = group === 'active' ? this.active : this.size
    if (n <= 1) return this.checkAbort()
    const c = this.control
    const gen = Atomics.load(c, GEN[g])
    if (Atomics.add(c, COUNT[g], 1) === n - 1) {
      Atomics.store(c, COUNT[g], 0)
      Atomics.add(c, GEN[g], 1)
      Atomics.notify(c, GEN[g])
      return
    }
    const start = Date.now()
    while (Atomics.load(c, GEN[g]) === gen) {
      Atomics.wait(c, GEN[g], gen, WAIT_SLICE_MS)
      this.checkAbort()
      if (Date.now() - start > GIVE_UP_MS) {
        this.abort()
        throw new AppError('train.worker-crashed', 'A training worker stopped answering; the run was stopped.')
      }
    }
  }

  /** Σ over the active workers of `local` (same length everywhere), in rank order, as float64. */
  sumActive(local: ArrayLike<number>): Float64Array {
    const cap = this.buffers.smallCapacity
    if (local.length > cap) throw new Error(`collective: ${local.length} values, room for ${cap}`)
    if (this.active <= 1) return Float64Array.from(local)
    const half = this.smallTurn
    this.smallTurn ^= 1
    const slot = (r: number) => (half * this.size + r) * cap
    this.small.set(local, slot(this.rank))
    this.barrier('active')
    const out = new Float64Array(local.length)
    for (let r = 0; r < this.active; r++) {
      const o = slot(r)
      for (let i = 0; i < out.length; i++) out[i] += this.small[o + i]
    }
    return out
  }

  /** Σ over all workers of `local` in rank order (float32, as the gradients are). */
  sumAll(local: Float32Array): Float32Array {
    const cap = this.buffers.largeCapacity
    if (local.length > cap) throw new Error(`collective: ${local.length} values, room for ${cap}`)
    if (this.size <= 1) return local.slice()
    const half = this.largeTurn
    this.largeTurn ^= 1
    const slot = (r: number) => (half * this.size + r) * cap
    this.large.set(local, slot(this.rank))
    this.barrier('all')
    const out = this.large.slice(slot(0), slot(0) + local.length)
    for (let r = 1; r < this.size; r++) {
      const o = slot(r)
      for (let i = 0; i < out.length; i++) out[i] += this.large[o + i]
    }
    return out
  }

  /** Tells every worker to give up at its next wait (a worker failed). */
  abort(): void {
    Atomics.store(this.control, ABORT, 1)
    for (const g of GEN) Atomics.notify(this.control, g)
  }

  get aborted(): boolean {
    return Atomics.load(this.control, ABORT) === 1
  }

  private checkAbort(): void {
    if (this.aborted) throw new AppError('train.worker-crashed', 'Another training worker failed; the run was stopped.')
  }
}
