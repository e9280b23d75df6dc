import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { linear } from './linear'
import { linearConstInput } from './linear-const'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

describe('linearConstInput', () => {
  it('matches linear in value and in the weight and bias gradients, inside variableGrads', () => {
    const w = tf.variable(randomTensor([6, 3], 1))
    const b = tf.variable(randomTensor([3], 2))
    const r = randomTensor([5, 3], 4)
    const run = (op: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D) => {
      const { value, grads } = tf.variableGrads(() => {
        // x is created inside the tape's forward scope, as the trainer does with the VAE's cells.
        const x = randomTensor([5, 6], 3) as tf.Tensor2D
        return tf.sum(tf.mul(op(x, w as tf.Tensor as tf.Tensor2D, b as tf.Tensor as tf.Tensor1D), r)) as tf.Scalar
      }, [w, b])
      return { v: value.dataSync()[0], gw: grads[w.name].dataSync(), gb: grads[b.name].dataSync() }
    }
    const ours = run(linearConstInput)
    const ref = run(linear)
    expect(ours.v).toBeCloseTo(ref.v, 5)
    expect(maxAbsDiff(ours.gw, ref.gw)).toBeLessThan(1e-5)
    expect(maxAbsDiff(ours.gb, ref.gb)).toBeLessThan(1e-5)
  })
})
