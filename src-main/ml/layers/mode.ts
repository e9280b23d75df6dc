/** How a forward pass runs: training (dropout on, BatchNorm batch statistics) or inference. */
import type { Collective } from '../parallel/collective'
import { mulberry32 } from '../random'

/**
 * Data-parallel training (parallel/): this worker computes conditions [start, start + count) of
 * the step's `total`, whose paired control cells are rows [cellStart, cellStart + cells) of `cellTotal`.
 * BatchNorm over conditions sums its statistics over the workers, and random patterns (dropout,
 * the VAE's noise) are the whole step's, cut to this worker's part: W workers compute what one does.
 */
export interface Shard {
  collective: Collective
  start: number
  count: number
  total: number
  cellStart: number
  cells: number
  cellTotal: number
}

export interface ForwardMode {
  training: boolean
  /** A fresh seed for each random draw (dropout patterns); deterministic for a given start seed. */
  nextSeed: () => number
  shard?: Shard
}

export function trainingMode(seed: number, shard?: Shard): ForwardMode {
  const rand = mulberry32(seed)
  return { training: true, nextSeed: () => Math.floor(rand() * 4294967296), ...(shard ? { shard } : {}) }
}

export const inferenceMode: ForwardMode = {
  training: false,
  nextSeed: () => 0,
}

/** The mode for layers whose input does not depend on the step's conditions (the gene tables): every worker computes them whole. */
export function unsharded(mode: ForwardMode): ForwardMode {
  if (!mode.shard) return mode
  const { shard: _, ...rest } = mode
  return rest
}

/**
 * `localSize` values of a tensor laid out condition by condition (`unit` 'conditions') or cell by
 * cell ('cells'), drawn as the whole step's `draw(fullSize)` would be and cut to this worker's part.
 * Without a shard: `draw(localSize)`.
 */
export function shardedDraw(shard: Shard | undefined, localSize: number, unit: 'conditions' | 'cells', draw: (n: number) => Float32Array): Float32Array {
  if (!shard) return draw(localSize)
  const [start, count, total] = unit === 'conditions' ? [shard.start, shard.count, shard.total] : [shard.cellStart, shard.cells, shard.cellTotal]
  if (count === 0) return new Float32Array(0)
  const per = localSize / count
  return draw(per * total).slice(per * start, per * (start + count))
}

