/**
 * GEARS' per-gene linear (indv_w1 / indv_b1, docs/ml-engine.md §3 step 4): z[b, g] = Σ_h x[b·G + g, h]·w[g, h]
 * + bias[g] for x [B·G, H] stacked by condition. One JS loop each way instead of a broadcast
 * multiply and a sum over a [B, G, H] tensor (whose gradient fills a ones tensor: perf-notes trap 4).
 */
import * as tf from '@tensorflow/tfjs'
import { customOp } from './custom-op'
import { tensorOpsOnly } from './tensor-path'

export function perGeneLinear(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D, blocks: number): tf.Tensor2D {
  const [rows, H] = x.shape
  const G = w.shape[0]
  if (rows !== blocks * G || w.shape[1] !== H || bias.shape[0] !== G) {
    throw new Error(`per-gene linear: x [${x.shape.join(', ')}], w [${w.shape.join(', ')}], bias [${bias.shape.join(', ')}] do not fit ${blocks} blocks`)
  }
  // GPU backends: the broadcast multiply and sum as tfjs ops (autodiff; no reads).
  if (tensorOpsOnly()) return tf.tidy(() => tf.add(tf.sum(tf.mul(tf.reshape(x, [blocks, G, H]), w), 2), bias) as tf.Tensor2D)
  const f = customOp<tf.Tensor2D>(([xIn, wIn, bIn]) => {
    const xs = xIn.dataSync() as Float32Array
    const ws = wIn.dataSync() as Float32Array
    const bs = bIn.dataSync() as Float32Array
    const z = new Float32Array(blocks * G)
    for (let b = 0; b < blocks; b++) {
      for (let g = 0; g < G; g++) {
        const xo = (b * G + g) * H
        const wo = g * H
        let s = bs[g]
        for (let h = 0; h < H; h++) s += xs[xo + h] * ws[wo + h]
        z[b * G + g] = s
      }
    }
    return {
      value: tf.tensor2d(z, [blocks, G]),
      // x, w are read into JS arrays above, so nothing needs `save` (trap 7 is about tensors).
      gradFunc: (dy) => {
        const dz = dy.dataSync() as Float32Array
        const dx = new Float32Array(rows * H)
        const dw = new Float32Array(G * H)
        const db = new Float32Array(G)
        for (let b = 0; b < blocks; b++) {
          for (let g = 0; g < G; g++) {
            const d = dz[b * G + g]
            if (d === 0) continue
            const xo = (b * G + g) * H
            const wo = g * H
            db[g] += d
            for (let h = 0; h < H; h++) {
              dx[xo + h] = d * ws[wo + h]
              dw[wo + h] += d * xs[xo + h]
            }
          }
        }
        return [tf.tensor2d(dx, [rows, H]), tf.tensor2d(dw, [G, H]), tf.tensor1d(db)]
      },
    }
  })
  return f(x, w, bias)
}
