import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend, type BackendName } from '../backend'
import { gradsOf, maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { linear, matMul2d, matMulTransposeA } from './linear'

describe.each(['cpu', 'wasm'] as BackendName[])('linear on %s', (backend) => {
  it('matches tfjs autodiff of matMul + bias in value and every gradient', async () => {
    await initBackend({ prefer: backend })
    const x = randomTensor([37, 16], 1)
    const w = randomTensor([16, 24], 2)
    const b = randomTensor([24], 3)
    const ours = gradsOf((xi, wi, bi) => linear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D), [x, w, b])
    const ref = gradsOf((xi, wi, bi) => tf.add(tf.matMul(xi as tf.Tensor2D, wi as tf.Tensor2D), bi), [x, w, b])
    expect(maxAbsDiff(ours.value, ref.value)).toBeLessThanOrEqual(1e-5)
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours.grads[i], ref.grads[i])).toBeLessThanOrEqual(1e-5)
    expect(linear(x as tf.Tensor2D, w as tf.Tensor2D).shape).toEqual([37, 24])
    const mm = gradsOf((a, c) => matMul2d(a as tf.Tensor2D, c as tf.Tensor2D), [x, w])
    const mmRef = gradsOf((a, c) => tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D), [x, w])
    for (let i = 0; i < 2; i++) expect(maxAbsDiff(mm.grads[i], mmRef.grads[i])).toBeLessThanOrEqual(1e-5)
    // Both orientations of aᵀ·b (narrow a, wide a).
    const wide = randomTensor([37, 40], 4)
    for (const [a, c] of [[x, wide], [wide, x]]) {
      const ref = tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D, true, false)
      expect(maxAbsDiff(matMulTransposeA(a as tf.Tensor2D, c as tf.Tensor2D).dataSync(), ref.dataSync())).toBeLessThanOrEqual(1e-5)
    }
    tf.dispose([x, w, b, wide])
  })

  it('rejects mismatched shapes with a message naming them', () => {
    const x = tf.zeros([3, 4]) as tf.Tensor2D
    expect(() => linear(x, tf.zeros([5, 2]) as tf.Tensor2D)).toThrow(/4 columns but W has 5 rows/)
    expect(() => linear(x, tf.zeros([4, 2]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D)).toThrow(/shape \[2\]/)
  })
})
