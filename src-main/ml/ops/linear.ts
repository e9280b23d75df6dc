/**
 * Dense layer ops whose backward runs only plain 2-D matMuls. tfjs's own matMul gradient uses
 * transposeA/transposeB, which leaves XNNPACK's fast path on wasm (perf-notes trap 3: 10–30×
 * slower); transposing explicitly first made a layer 7× faster there. Same numbers on every backend.
 */
import * as tf from '@tensorflow/tfjs'
import { customOp } from './custom-op'

function assert2d(t: tf.Tensor, what: string): void {
  if (t.rank !== 2) throw new Error(`${what} must be 2-D, got shape [${t.shape.join(', ')}]`)
}

/**
 * aᵀ·b for a [m, k], b [m, n] from plain matMuls. Transposing the narrower operand is cheaper (wasm:
 * ~1 ms for [5,045, 64] against ~11 ms for [5,045, 512]), so for k > n compute (bᵀ·a)ᵀ instead.
 */
export function matMulTransposeA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return a.shape[1] <= b.shape[1] ? tf.matMul(tf.transpose(a), b) : (tf.transpose(tf.matMul(tf.transpose(b), a)) as tf.Tensor2D)
}

/** a [m, k] · b [k, n] with dA = dY·bᵀ and dB = aᵀ·dY computed from explicit transposes. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  assert2d(a, 'matMul2d: a')
  assert2d(b, 'matMul2d: b')
  const f = customOp<tf.Tensor2D>(([aIn, bIn], save) => {
    save([aIn, bIn]) // trap 7: inputs are gone by backward time unless saved
    return {
      value: tf.matMul(aIn as tf.Tensor2D, bIn as tf.Tensor2D),
      gradFunc: (dy, saved) => {
        const [as, bs] = saved as tf.Tensor2D[]
        return [tf.matMul(dy, tf.transpose(bs)), matMulTransposeA(as, dy)]
      },
    }
  })
  return f(a, b)
}

/** y = x·W + b for x [n, in], W [in, out], b [out] (optional). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  assert2d(x, 'linear: x')
  assert2d(w, 'linear: W')
  if (x.shape[1] !== w.shape[0]) throw new Error(`linear: x has ${x.shape[1]} columns but W has ${w.shape[0]} rows`)
  if (!b) return matMul2d(x, w)
  if (b.rank !== 1 || b.shape[0] !== w.shape[1]) throw new Error(`linear: b must have shape [${w.shape[1]}], got [${b.shape.join(', ')}]`)
  const f = customOp<tf.Tensor2D>(([xIn, wIn, bIn], save) => {
    save([xIn, wIn])
    return {
      value: tf.add(tf.matMul(xIn as tf.Tensor2D, wIn as tf.Tensor2D), bIn),
      gradFunc: (dy, saved) => {
        const [xs, ws] = saved as tf.Tensor2D[]
        return [tf.matMul(dy, tf.transpose(ws)), matMulTransposeA(xs, dy), tf.sum(dy, 0)]
      },
    }
  })
  return f(x, w, b)
}
