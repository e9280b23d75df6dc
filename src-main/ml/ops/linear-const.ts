/**
 * y = x·W + b where x is data, not a parameter (the VAE's input cells): no gradient for x, which
 * for [cells, 5,000 genes] × [5,000, 32] is a matMul as large as the forward one, and an N × G
 * tensor, skipped. x is kept for the backward pass with `save` (tf.variableGrads disposes
 * everything its forward created otherwise, trap 7), which costs one copy of x.
 */
import * as tf from '@tensorflow/tfjs'
import { customOp } from './custom-op'
import { matMulTransposeA } from './linear'

export function linearConstInput(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (x.shape[1] !== w.shape[0] || b.shape[0] !== w.shape[1]) throw new Error(`linear: x [${x.shape.join(', ')}], W [${w.shape.join(', ')}], b [${b.shape.join(', ')}] do not fit`)
  const f = customOp<tf.Tensor2D>(([wIn, bIn], save) => {
    save([x])
    return {
      value: tf.add(tf.matMul(x, wIn as tf.Tensor2D), bIn),
      gradFunc: (dy, [xs]) => [matMulTransposeA(xs as tf.Tensor2D, dy), tf.sum(dy, 0)],
    }
  })
  return f(w, b)
}
