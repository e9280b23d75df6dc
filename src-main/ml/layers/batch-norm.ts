import * as tf from '@tensorflow/tfjs'
import type { ForwardMode } from './mode'
import type { ParamStore } from './param-store'

export interface BatchNormOptions {
  /** PyTorch convention: running = (1 − momentum)·running + momentum·batch. */
  momentum?: number
  eps?: number
}

/**
 * BatchNorm1d over the rows of x [n, c] (PyTorch semantics). Training: normalise with the batch
 * mean and biased variance, and move `${name}.running_mean` / `${name}.running_var` (unbiased
 * variance) towards them; inference: use the running statistics. Learnable `${name}.gamma`, `.beta`.
 */
export function batchNorm(store: ParamStore, name: string, x: tf.Tensor2D, mode: ForwardMode, options: BatchNormOptions = {}): tf.Tensor2D {
  const momentum = options.momentum ?? 0.1
  const eps = options.eps ?? 1e-5
  const [n, c] = x.shape
  const gamma = store.param(`${name}.gamma`, [c], { kind: 'ones' })
  const beta = store.param(`${name}.beta`, [c], { kind: 'zeros' })
  const runningMean = store.param(`${name}.running_mean`, [c], { kind: 'zeros' }, { trainable: false })
  const runningVar = store.param(`${name}.running_var`, [c], { kind: 'ones' }, { trainable: false })
  if (!mode.training) {
    return tf.tidy(() => tf.add(tf.mul(tf.sub(x, runningMean), tf.mul(tf.rsqrt(tf.add(runningVar, eps)), gamma)), beta))
  }
  if (n < 2) throw new Error(`batch norm ${name}: training needs more than one row per channel, got ${n}`)
  return tf.tidy(() => {
    // The mean corrected by the mean of what is left (same value in exact arithmetic, same
    // gradient): a float32 sum can put the mean of a constant column an ulp off its value, and
    // with a variance far below eps that ulp becomes x̂ = ulp/√eps instead of 0. At GEARS' start the
    // cross-gene MLP's input is 0 for every condition, and that noise, passed by the ReLU and
    // amplified by 1/√eps per layer, gave gradients of ~1e3 where the exact ones are 0. The fused
    // op (ops/norms, float64 sums) has no such error; GPU backends use this formulation.
    const mean0 = tf.mean(x, 0)
    const mean = tf.add(mean0, tf.mean(tf.sub(x, mean0), 0))
    const centred = tf.sub(x, mean)
    const variance = tf.mean(tf.square(centred), 0)
    // The running statistics are state, not part of the graph: assign copies the values.
    tf.tidy(() => {
      runningMean.assign(tf.add(tf.mul(runningMean, 1 - momentum), tf.mul(mean, momentum)))
      runningVar.assign(tf.add(tf.mul(runningVar, 1 - momentum), tf.mul(variance, (momentum * n) / (n - 1))))
    })
    return tf.add(tf.mul(centred, tf.mul(tf.rsqrt(tf.add(variance, eps)), gamma)), beta)
  })
}
