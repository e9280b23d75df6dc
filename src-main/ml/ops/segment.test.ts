import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend, type BackendName } from '../backend'
import { mulberry32 } from '../random'
import { gradsOf, maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { gatherRows, segmentSum } from './segment'

describe.each(['cpu', 'wasm'] as BackendName[])('gatherRows and segmentSum on %s', (backend) => {
  it('match tf.gather / tf.unsortedSegmentSum in value and gradient, with duplicate indices', async () => {
    await initBackend({ prefer: backend })
    const rand = mulberry32(3)
    const idx = tf.tensor1d(Int32Array.from({ length: 400 }, () => Math.floor(rand() * 60)), 'int32')
    const x = randomTensor([60, 8], 1)
    const e = randomTensor([400, 8], 2)
    const g = gradsOf((t) => gatherRows(t as tf.Tensor2D, idx), [x])
    const gRef = gradsOf((t) => tf.gather(t, idx), [x])
    expect(maxAbsDiff(g.value, gRef.value)).toBe(0)
    expect(maxAbsDiff(g.grads[0], gRef.grads[0])).toBeLessThanOrEqual(1e-5)
    const s = gradsOf((t) => segmentSum(t as tf.Tensor2D, idx, 70), [e])
    const sRef = gradsOf((t) => tf.unsortedSegmentSum(t, idx, 70), [e])
    expect(maxAbsDiff(s.value, sRef.value)).toBeLessThanOrEqual(1e-5)
    expect(maxAbsDiff(s.grads[0], sRef.grads[0])).toBeLessThanOrEqual(1e-5)
    expect(segmentSum(e as tf.Tensor2D, idx, 70).shape).toEqual([70, 8])
    tf.dispose([idx, x, e])
  })
})
