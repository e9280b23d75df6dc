import * as tf from '@tensorflow/tfjs'
import type { ParamStore } from './param-store'

/** LayerNorm over the last axis of x [n, c] with `${name}.gamma`, `${name}.beta` (PyTorch eps 1e-5). */
export function layerNorm(store: ParamStore, name: string, x: tf.Tensor2D, eps = 1e-5): tf.Tensor2D {
  const c = x.shape[1]
  const gamma = store.param(`${name}.gamma`, [c], { kind: 'ones' })
  const beta = store.param(`${name}.beta`, [c], { kind: 'zeros' })
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, 1, true))
    const variance = tf.mean(tf.square(centred), 1, true)
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta)
  })
}
