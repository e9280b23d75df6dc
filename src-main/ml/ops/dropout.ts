import * as tf from '@tensorflow/tfjs'
import { shardedDraw, type Shard } from '../layers/mode'
import { dropoutFactors } from '../random'

/**
 * Inverted dropout with a seeded pattern: x · m / (1 − rate), m ~ Bernoulli(1 − rate). The factors
 * are drawn in JS (inlined mulberry32, ~2 ns each, against ~10 ns for tfjs's seeded alea in
 * randomUniform) and enter as a constant, so the gradient is the same multiplication. With a
 * `shard` (data-parallel training), x holds this worker's conditions and the pattern is their part
 * of the whole step's.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number, shard?: Shard): T {
  if (rate === 0) return x
  if (!(rate > 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`)
  const factors = shardedDraw(shard, x.size, 'conditions', (n) => dropoutFactors(n, rate, seed))
  return tf.tidy(() => tf.mul(x, tf.tensor(factors, x.shape))) as T
}
