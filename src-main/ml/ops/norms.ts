/**
 * LayerNorm (over the columns of each row) and training-mode BatchNorm (over the rows of each
 * column) as single ops with hand-written backward passes in JS loops. Built from tfjs ops they
 * are ~10 kernels each way on [conditions × genes, H] tensors, every saved input copied by the wasm
 * Identity kernel and every mean's gradient filling a ones tensor in JS (perf-notes trap 4); at
 * 20,000 × 64 a fused pass is a few milliseconds. Same numbers as layers/layer-norm and
 * layers/batch-norm (which stay the reference, and serve inference).
 *
 *   x̂ = (x − μ) / √(σ² + eps),  y = γ·x̂ + β,  σ² biased
 *   dx = (γ·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)) / √(σ² + eps)   (means over the normalised axis)
 */
import * as tf from '@tensorflow/tfjs'
import type { Collective } from '../parallel/collective'
import { customOp } from './custom-op'

/** LayerNorm of x [n, c] over c. */
export function layerNormOp(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  const [n, c] = x.shape
  const f = customOp<tf.Tensor2D>(([xIn, gIn, bIn]) => {
    const xs = xIn.dataSync() as Float32Array
    const g = gIn.dataSync() as Float32Array
    const b = bIn.dataSync() as Float32Array
    const xhat = new Float32Array(n * c)
    const inv = new Float64Array(n)
    const y = new Float32Array(n * c)
    for (let r = 0; r < n; r++) {
      const o = r * c
      let m = 0
      for (let j = 0; j < c; j++) m += xs[o + j]
      m /= c
      let v = 0
      for (let j = 0; j < c; j++) v += (xs[o + j] - m) * (xs[o + j] - m)
      const s = 1 / Math.sqrt(v / c + eps)
      inv[r] = s
      for (let j = 0; j < c; j++) {
        const h = (xs[o + j] - m) * s
        xhat[o + j] = h
        y[o + j] = g[j] * h + b[j]
      }
    }
    return {
      value: tf.tensor2d(y, [n, c]),
      gradFunc: (dy) => {
        const d = dy.dataSync() as Float32Array
        const dx = new Float32Array(n * c)
        const dg = new Float64Array(c)
        const db = new Float64Array(c)
        for (let r = 0; r < n; r++) {
          const o = r * c
          let m1 = 0
          let m2 = 0
          for (let j = 0; j < c; j++) {
            const gd = g[j] * d[o + j]
            m1 += gd
            m2 += gd * xhat[o + j]
            dg[j] += d[o + j] * xhat[o + j]
            db[j] += d[o + j]
          }
          m1 /= c
          m2 /= c
          const s = inv[r]
          for (let j = 0; j < c; j++) dx[o + j] = (g[j] * d[o + j] - m1 - xhat[o + j] * m2) * s
        }
        return [tf.tensor2d(dx, [n, c]), tf.tensor1d(Float32Array.from(dg)), tf.tensor1d(Float32Array.from(db))]
      },
    }
  })
  return f(x, gamma, beta)
}

/**
 * Training-mode BatchNorm of x [n, c] over n with batch statistics. Returns the output and the
 * batch mean and biased variance (for the caller's running statistics), and the rows they were
 * taken over. With `sync`, over every data-parallel worker's rows (x holds this worker's).
 */
export function batchNormOp(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5, sync?: Collective): { y: tf.Tensor2D; mean: Float64Array; variance: Float64Array; rows: () => number } {
  const [n, c] = x.shape
  const mean = new Float64Array(c)
  const variance = new Float64Array(c)
  // Data-parallel training: the statistics (and their gradient terms) are sums over every worker's rows.
  const total = (local: Float64Array) => (sync ? sync.sumActive(local) : local)
  let N = n
  const f = customOp<tf.Tensor2D>(([xIn, gIn, bIn]) => {
    const xs = xIn.dataSync() as Float32Array
    const g = gIn.dataSync() as Float32Array
    const b = bIn.dataSync() as Float32Array
    const s1 = new Float64Array(c + 1)
    s1[c] = n
    for (let r = 0; r < n; r++) for (let j = 0; j < c; j++) s1[j] += xs[r * c + j]
    const sums = total(s1)
    N = sums[c]
    if (N < 2) throw new Error(`batch norm: training needs more than one row per channel, got ${N}`)
    for (let j = 0; j < c; j++) mean[j] = sums[j] / N
    const s2 = new Float64Array(c)
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < c; j++) {
        const t = xs[r * c + j] - mean[j]
        s2[j] += t * t
      }
    }
    variance.set(total(s2))
    const inv = new Float64Array(c)
    for (let j = 0; j < c; j++) {
      variance[j] /= N
      inv[j] = 1 / Math.sqrt(variance[j] + eps)
    }
    const xhat = new Float32Array(n * c)
    const y = new Float32Array(n * c)
    for (let r = 0; r < n; r++) {
      const o = r * c
      for (let j = 0; j < c; j++) {
        const h = (xs[o + j] - mean[j]) * inv[j]
        xhat[o + j] = h
        y[o + j] = g[j] * h + b[j]
      }
    }
    return {
      value: tf.tensor2d(y, [n, c]),
      gradFunc: (dy) => {
        const d = dy.dataSync() as Float32Array
        const m12 = new Float64Array(2 * c)
        for (let r = 0; r < n; r++) {
          const o = r * c
          for (let j = 0; j < c; j++) {
            m12[j] += d[o + j]
            m12[c + j] += d[o + j] * xhat[o + j]
          }
        }
        // dβ = Σ dy, dγ = Σ dy·x̂ (this worker's rows: the gradients are summed later); the means of
        // γ·dy and γ·dy·x̂ over all rows are γ·M1/N and γ·M2/N.
        const M = total(m12)
        const dx = new Float32Array(n * c)
        for (let r = 0; r < n; r++) {
          const o = r * c
          for (let j = 0; j < c; j++) dx[o + j] = g[j] * (d[o + j] - M[j] / N - (xhat[o + j] * M[c + j]) / N) * inv[j]
        }
        return [tf.tensor2d(dx, [n, c]), tf.tensor1d(Float32Array.from(m12.subarray(c))), tf.tensor1d(Float32Array.from(m12.subarray(0, c)))]
      },
    }
  })
  return { y: f(x, gamma, beta), mean, variance, rows: () => N }
}
