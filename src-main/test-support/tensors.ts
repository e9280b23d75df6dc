/** Helpers for the ml tests (not imported by app code). */
import * as tf from '@tensorflow/tfjs'
import { mulberry32, randomNormalArray } from '../ml/random'

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

/**
 * Central finite differences of a scalar loss w.r.t. chosen entries of a variable, in float32
 * arithmetic: use a step around 1e-2 and compare with a tolerance around 1e-3 relative.
 */
export function finiteDifferences(loss: () => tf.Scalar, variable: tf.Variable, entries: number[], step = 1e-2): number[] {
  const base = (variable.dataSync() as Float32Array).slice()
  const at = (i: number, delta: number) => {
    const v = base.slice()
    v[i] += delta
    variable.assign(tf.tensor(v, variable.shape))
    return tf.tidy(() => loss().dataSync()[0])
  }
  const out = entries.map((i) => (at(i, step) - at(i, -step)) / (2 * step))
  variable.assign(tf.tensor(base, variable.shape))
  return out
}
