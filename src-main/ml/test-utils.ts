/** Helpers for the ml tests (not imported by app code). */
import * as tf from '@tensorflow/tfjs'
import { mulberry32, randomNormalArray } from './random'

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`)
  let worst = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d
  }
  return worst
}

export function randomTensor(shape: number[], seed: number, std = 1): tf.Tensor {
  const n = shape.reduce((a, d) => a * d, 1)
  return tf.tensor(randomNormalArray(n, mulberry32(seed), std), shape)
}

/** Gradients of sum(f(xs) · r) for a fixed random r: a scalar loss that touches every output. */
export function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], seed = 99): { value: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const y = f(...xs)
    const r = randomTensor(y.shape, seed)
    const g = tf.grads((...ins: tf.Tensor[]) => tf.sum(tf.mul(f(...ins), r)))(xs)
    return { value: y.dataSync() as Float32Array, grads: g.map((t) => t.dataSync() as Float32Array) }
  })
}
