/**
 * Row gather and segment sum as a pair of custom-gradient ops: each one's gradient is the other.
 * tfjs's built-in gradient of unsortedSegmentSum is ~20× slower than a plain gather (perf-notes
 * trap 5), and the built-in gradient of gather goes through reshapes and transposes first.
 * The forward kernels are the fast ones registered in kernels/ (traps 1 and 2 on wasm). The index
 * inputs get a float32 zero gradient (tfjs requires one per input; tf.fill, not tf.zeros: trap 4).
 */
import * as tf from '@tensorflow/tfjs'
import { customOp } from './custom-op'

/** out[r] = x[idx[r]] for x [n, d] and int32 idx [m]. */
export function gatherRows(x: tf.Tensor2D, idx: tf.Tensor1D): tf.Tensor2D {
  const n = x.shape[0]
  const f = customOp<tf.Tensor2D>(([xIn, iIn], save) => {
    save([iIn])
    return {
      value: tf.gather(xIn, iIn, 0) as tf.Tensor2D,
      gradFunc: (dy, [ids]) => [tf.unsortedSegmentSum(dy, ids as tf.Tensor1D, n), tf.fill(ids.shape, 0)],
    }
  })
  return f(x, idx)
}

/** out[s] = Σ_{r: ids[r] = s} x[r] for x [m, d], int32 ids [m], s < numSegments. */
export function segmentSum(x: tf.Tensor2D, ids: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  const f = customOp<tf.Tensor2D>(([xIn, iIn], save) => {
    save([iIn])
    return {
      value: tf.unsortedSegmentSum(xIn, iIn as tf.Tensor1D, numSegments) as tf.Tensor2D,
      gradFunc: (dy, [sIds]) => [tf.gather(dy, sIds, 0), tf.fill(sIds.shape, 0)],
    }
  })
  return f(x, ids)
}
