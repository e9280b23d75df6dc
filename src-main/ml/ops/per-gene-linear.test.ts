import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../backend'
import { gradsOf, maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { perGeneLinear } from './per-gene-linear'

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' })
})

describe('perGeneLinear', () => {
  it('equals the broadcast multiply-and-sum, values and gradients', () => {
    const B = 3
    const G = 7
    const H = 5
    const x = randomTensor([B * G, H], 1)
    const w = randomTensor([G, H], 2)
    const b = randomTensor([G], 3)
    const ours = gradsOf((xi, wi, bi) => perGeneLinear(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, B), [x, w, b])
    const ref = gradsOf((xi, wi, bi) => tf.add(tf.sum(tf.mul(tf.reshape(xi, [B, G, H]), wi), 2), bi), [x, w, b])
    expect(maxAbsDiff(ours.value, ref.value)).toBeLessThan(1e-5)
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours.grads[i], ref.grads[i])).toBeLessThan(1e-5)
    expect(() => perGeneLinear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, 2)).toThrow(/blocks/)
  })
})
