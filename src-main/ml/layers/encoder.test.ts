import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend, type BackendName } from '../backend'
import { randomPathwayMask } from '../ops/attention-mask'
import { mulberry32 } from '../random'
import { maxAbsDiff, randomTensor } from '../../test-support/tensors'
import { BIODSNN_ENCODER, encoderLayer, type EncoderOptions } from './encoder'
import { inferenceMode, trainingMode, type ForwardMode } from './mode'
import { ParamStore } from './param-store'

const G = 96
const mask = randomPathwayMask(G, 1500, mulberry32(2), { medianPathway: 5, maxPathway: 40 })

function run(store: ParamStore, x: tf.Tensor, mode: () => ForwardMode, options: EncoderOptions) {
  const r = randomTensor([G, 64], 77)
  const loss = () => tf.sum(tf.mul(encoderLayer(store, 'enc', x as tf.Tensor2D, mask, mode(), options), r)) as tf.Scalar
  const value = tf.tidy(() => encoderLayer(store, 'enc', x as tf.Tensor2D, mask, mode(), options).dataSync())
  const { grads } = tf.variableGrads(loss, store.trainableVariables())
  const named = Object.fromEntries(store.list().filter((e) => e.trainable).map((e) => [e.name, grads[e.variable.name].dataSync()]))
  tf.dispose(Object.values(grads))
  r.dispose()
  return { value, grads: named }
}

describe.each(['cpu', 'wasm'] as BackendName[])('encoder layer on %s', (backend) => {
  it('gives the same output and parameter gradients with sparse and dense masked attention (≤ 1e-5)', async () => {
    await initBackend({ prefer: backend })
    const x = randomTensor([G, 64], 1)
    for (const mode of [() => inferenceMode, () => trainingMode(3)]) {
      const sparse = run(new ParamStore(7), x, mode, BIODSNN_ENCODER)
      const dense = run(new ParamStore(7), x, mode, { ...BIODSNN_ENCODER, denseAttention: true })
      expect(sparse.value.length).toBe(G * 64)
      expect(maxAbsDiff(sparse.value, dense.value)).toBeLessThanOrEqual(1e-5)
      expect(Object.keys(sparse.grads)).toHaveLength(16)
      for (const [name, g] of Object.entries(sparse.grads)) {
        expect(g.every(Number.isFinite), name).toBe(true)
        expect(g.some((v) => v !== 0), name).toBe(true)
        expect(maxAbsDiff(g, dense.grads[name]), name).toBeLessThanOrEqual(1e-5)
      }
    }
    x.dispose()
  })
})

describe('encoder layer dropout', () => {
  it('is reproducible for a seed, differs between seeds and is off in inference', async () => {
    await initBackend({ prefer: 'cpu' })
    const store = new ParamStore(1)
    const x = randomTensor([G, 64], 2) as tf.Tensor2D
    const out = (mode: ForwardMode) => tf.tidy(() => encoderLayer(store, 'enc', x, mask, mode).dataSync())
    expect(maxAbsDiff(out(trainingMode(5)), out(trainingMode(5)))).toBe(0)
    expect(maxAbsDiff(out(trainingMode(5)), out(trainingMode(6)))).toBeGreaterThan(1e-2)
    expect(maxAbsDiff(out(inferenceMode), out(inferenceMode))).toBe(0)
    expect(store.list().map((e) => e.name)).toContain('enc.attn.q.weight')
  })

  it('leaves no tensors behind after a forward and backward pass', async () => {
    await initBackend({ prefer: 'wasm' })
    const store = new ParamStore(1)
    const x = randomTensor([G, 64], 2) as tf.Tensor2D
    tf.tidy(() => encoderLayer(store, 'enc', x, mask, inferenceMode))
    const before = tf.memory().numTensors
    const { value, grads } = tf.variableGrads(() => tf.sum(encoderLayer(store, 'enc', x, mask, trainingMode(1))) as tf.Scalar, store.trainableVariables())
    tf.dispose([value, ...Object.values(grads)])
    expect(tf.memory().numTensors).toBe(before)
  })
})
