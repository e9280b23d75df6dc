import * as tf from '@tensorflow/tfjs'
import { batchNorm } from './batch-norm'
import { dense } from './dense'
import type { ForwardMode } from './mode'
import type { ParamStore } from './param-store'

/**
 * GEARS' MLP: for sizes [s0, s1, …, sk], k × (Linear s_{i} → s_{i+1}, BatchNorm, ReLU) without the
 * last ReLU (docs/ml-engine.md §3). x must have s0 columns. Weights `${name}.{i}.linear.*`, `${name}.{i}.bn.*`.
 */
export function mlp(store: ParamStore, name: string, x: tf.Tensor2D, sizes: number[], mode: ForwardMode): tf.Tensor2D {
  if (sizes.length < 2) throw new Error(`mlp ${name}: needs at least two sizes, got [${sizes.join(', ')}]`)
  if (x.shape[1] !== sizes[0]) throw new Error(`mlp ${name}: input has ${x.shape[1]} columns, sizes start at ${sizes[0]}`)
  return tf.tidy(() => {
    let h = x
    for (let i = 0; i + 1 < sizes.length; i++) {
      h = batchNorm(store, `${name}.${i}.bn`, dense(store, `${name}.${i}.linear`, h, sizes[i + 1]), mode)
      if (i + 2 < sizes.length) h = tf.relu(h)
    }
    return h
  })
}
